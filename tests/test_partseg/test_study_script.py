"""tools/run_partseg_study.sh: every test run's --cfg-options load on its config.

The script's test runs start only after about ten minutes of training, so an override
that the config loader refuses (as ``img_size`` checks do) would otherwise surface late.
"""

import os.path as osp
import re
import shlex

import pytest

from refseg.utils.config import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'run_partseg_study.sh')
CRIS = 'configs/partseg/cris_tiny-clip_partimagenet-synthetic.py'
MRCNN = 'configs/partseg/maskrcnn_tiny_partimagenet-synthetic.py'
OBJ = 'configs/partseg/maskrcnn_tiny_partimagenet-synthetic_objects.py'


def _calls(text: str, name: str):
    """The argument lists of the script's calls of ``name`` (continuations joined)."""
    joined = re.sub(r'\\\n\s*', ' ', text)
    calls = []
    for line in joined.splitlines():
        line = line.strip().lstrip('( ')
        if line.startswith(name + ' '):
            # Drop the subshell's closing ') &' after the last call.
            calls.append([a for a in shlex.split(line, comments=True)[1:] if a not in (')', '&')])
    return calls


def test_the_study_script_uses_the_configs_it_names():
    text = open(SCRIPT).read()
    for config in (CRIS, MRCNN, OBJ):
        assert config in text


@pytest.mark.parametrize('kind', ['cris', 'det'])
def test_every_test_run_override_loads(kind, monkeypatch):
    monkeypatch.setenv('PARTIMAGENET_SYNTHETIC_ROOT', 'data/partimagenet_synthetic_study/')
    text = open(SCRIPT).read()
    calls = _calls(text, 'test_cris' if kind == 'cris' else 'test_det')
    assert len(calls) >= (5 if kind == 'cris' else 3)
    configs = {'$OBJ': OBJ, '$MRCNN': MRCNN}
    for args in calls:
        if kind == 'cris':
            config, extra = CRIS, args[1:]
            base = ['test_evaluator.threshold=0.4', 'test_evaluator.save_masks=True']
        else:
            config, extra = configs[args[0]], args[4:]
            base = ['test_evaluator.0.score_thr=0.3', 'test_evaluator.0.save_masks=True']
        cfg = load_config(osp.join(REPO, config), base + extra)
        if 'img_size=192' in extra:
            # Tested at 192, the trained model's positional grid (128) stays.
            assert cfg.model.data_preprocessor.size == (192, 192)
            assert cfg.model.backbone.input_resolution == 128
