"""tools/misc/config_stats.py: line and setting repetition between leaf configs."""

import pytest

from script_loader import load_script


@pytest.fixture(scope='module')
def stats_tool():
    return load_script('tools/misc/config_stats.py')


def _write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_settings_flatten_dicts_and_skip_base(stats_tool, tmp_path):
    path = _write(
        tmp_path,
        'a.py',
        "_base_ = ['./x.py']\n"
        'model = dict(\n    head=dict(threshold=0.35, loss=[dict(type="A")]),\n)\n'
        "cfg = {'k': 1}\nmax_iters = 200\n",
    )
    assert stats_tool.settings(path) == [
        'model.head.threshold = 0.35',
        "model.head.loss = [dict(type='A')]",
        'cfg.k = 1',
        'max_iters = 200',
    ]


def test_repeated_settings_ignore_formatting_but_not_values(stats_tool, tmp_path):
    configs = tmp_path / 'configs'
    _write(configs, '_base_/b.py', 'model = dict(head=dict(threshold=0.35))\n')
    one = _write(configs, 'm/one.py', "_base_ = ['../_base_/b.py']\nmodel = dict(\n    a=1,\n)\n")
    two = _write(configs, 'm/two.py', "_base_ = ['../_base_/b.py']\nmodel = dict(a=1, b=2)\n")
    three = _write(configs, 'm/three.py', "_base_ = ['../_base_/b.py']\nmodel = dict(a=3)\n")
    leaves = stats_tool.leaf_configs(str(configs))
    assert sorted(leaves) == sorted([one, two, three])
    stats = stats_tool.config_stats(leaves)
    # model.a = 1 in one.py and two.py; b = 2 and a = 3 are unique.
    assert stats['settings'] == 4
    assert stats['repeated_settings_fraction'] == pytest.approx(2 / 4)
    # Lines: the _base_ line repeats in all three, 'model = dict(' never matches the
    # one-line forms, so formatting decides the line measure.
    assert stats['repeated_fraction'] > 0
