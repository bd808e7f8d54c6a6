"""Command lines: every tool answers --help without importing torch, and the options added
for mmseg/mmdet habits (--auto-scale-lr, --vis-backend, cal_train_time, print_config,
collect_env, benchmark --device) do what they say."""

import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from script_loader import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = sorted(
    osp.relpath(path, ROOT)
    for path in glob.glob(osp.join(ROOT, 'tools', '**', '*.py'), recursive=True)
    if not osp.basename(path).startswith('_')
)
HEAVY = ('torch', 'mmengine', 'mmcv', 'mmseg', 'mmdet', 'refseg', 'numpy', 'cv2')


@pytest.mark.parametrize('tool', TOOLS)
def test_help_imports_nothing_heavy(tool):
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, '-X', 'importtime', osp.join(ROOT, tool), '--help'],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith('usage:'), result.stdout[:200]
    imported = {
        line.split('|')[-1].strip().split('.')[0]
        for line in result.stderr.splitlines()
        if line.startswith('import time:')
    }
    assert not imported & set(HEAVY), f'{tool} --help imports {sorted(imported & set(HEAVY))}'


def test_tools_launchers_match_the_runner():
    from refseg.engine.launcher import LAUNCHERS

    assert load_script('tools/train.py').LAUNCHERS == LAUNCHERS
    assert load_script('tools/test.py').LAUNCHERS == LAUNCHERS


def test_auto_scale_lr_switch():
    train = load_script('tools/train.py')
    cfg = Config(dict(auto_scale_lr=dict(enable=False, base_batch_size=64)))
    train.enable_auto_scale_lr(cfg)
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=64)
    with pytest.raises(KeyError, match='auto_scale_lr.base_batch_size'):
        train.enable_auto_scale_lr(Config(dict()))


def test_vis_backend_switch(monkeypatch):
    train = load_script('tools/train.py')
    cfg = Config(
        dict(
            visualizer=dict(
                type='RefSegLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')]
            )
        )
    )
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        'find_spec',
        lambda name: object() if name == 'tensorboard' else real_find_spec(name),
    )
    train.add_vis_backends(cfg, ['tensorboard', 'tensorboard'])
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend',
        'TensorboardVisBackend',
    ]
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(ImportError, match=r'refseg\[vis\]'):
        train.add_vis_backends(cfg, ['wandb'])


def test_train_parses_vis_backend_and_auto_scale_lr(monkeypatch):
    train = load_script('tools/train.py')
    monkeypatch.setattr(
        sys,
        'argv',
        [
            'train.py',
            'cfg.py',
            '--auto-scale-lr',
            '--vis-backend',
            'tensorboard',
            '--vis-backend',
            'wandb',
            '--cfg-options',
            'a.b=1',
        ],
    )
    args = train.parse_args()
    assert args.auto_scale_lr and args.vis_backend == ['tensorboard', 'wandb']
    assert args.cfg_options == ['a.b=1']


def test_load_config_reads_package_paths_and_options():
    from refseg.utils.config import load_config, resolve_config_path

    cfg = load_config(
        'refseg::synthetic/cris_tiny_synthetic.py',
        [
            'train_dataloader.batch_size=3',
            "model.text_override=''",
            'optim_wrapper.optimizer.betas=[0.8,0.9]',
        ],
    )
    assert cfg.filename == osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')
    assert cfg.train_dataloader.batch_size == 3
    assert cfg.model.text_override == ''
    assert list(cfg.optim_wrapper.optimizer.betas) == [0.8, 0.9]
    assert resolve_config_path('configs/x.py') == 'configs/x.py'
    with pytest.raises(FileNotFoundError, match='no config .*nope.py'):
        resolve_config_path('refseg::nope.py')


def test_print_config(tmp_path, capsys):
    print_config = load_script('tools/misc/print_config.py')
    saved = tmp_path / 'merged.py'
    assert (
        print_config.main(
            [
                'refseg::synthetic/cris_tiny_synthetic.py',
                '--cfg-options',
                'train_dataloader.batch_size=5',
                '--save',
                str(saved),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert 'cris_tiny_synthetic.py' in out and 'batch_size=5' in out
    assert Config.fromfile(str(saved)).train_dataloader.batch_size == 5


def test_collect_env_reports_refseg_and_its_stack():
    env = load_script('tools/misc/collect_env.py').refseg_env()
    assert env['refseg'].endswith(osp.join('refseg', '__init__.py'))
    assert env['mmcv ops'] == 'available'
    assert 'supported >=' in env['mmsegmentation']
    assert env['refseg configs'] == osp.join(ROOT, 'configs')


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without a GPU')
def test_benchmark_on_cuda_without_gpu_says_so():
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools/analysis_tools/benchmark.py'),
            osp.join(ROOT, 'configs/synthetic/cris_tiny_synthetic.py'),
            '--device',
            'cuda',
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT),
        timeout=300,
    )
    assert result.returncode == 1
    assert '--device cuda: no GPU is available' in result.stderr
    assert 'Traceback' not in result.stderr


def _write_log(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    return str(path)


def test_analyze_logs_labels_curves_by_run(tmp_path):
    analyze_logs = load_script('tools/analysis_tools/analyze_logs.py')
    a = str(tmp_path / 'work_dirs/cris_a/20261121_101010/vis_data/scalars.json')
    b = str(tmp_path / 'work_dirs/cris_b/20261121_101010/vis_data/scalars.json')
    c = str(tmp_path / 'x/cris_a/20261121_101010/vis_data/scalars.json')
    assert analyze_logs.run_labels([a, b]) == ['cris_a/20261121_101010', 'cris_b/20261121_101010']
    assert analyze_logs.run_labels([a, c]) == [
        'work_dirs/cris_a/20261121_101010',
        'x/cris_a/20261121_101010',
    ]
    assert analyze_logs.run_labels(['logs/run1.json']) == ['logs/run1']


def test_cal_train_time(tmp_path, capsys):
    analyze_logs = load_script('tools/analysis_tools/analyze_logs.py')
    records = [
        dict(epoch=1, iter=1, time=9.0),
        dict(epoch=1, iter=2, time=1.0),
        dict(epoch=1, iter=3, time=1.0),
        dict(mIoU=10.0, step=1),
        dict(epoch=2, iter=4, time=5.0),
        dict(epoch=2, iter=5, time=3.0),
        dict(epoch=2, iter=6, time=3.0),
    ]
    stats = analyze_logs.train_time(records)
    assert stats['mean'] == pytest.approx(2.0)
    assert (stats['slowest_epoch'], stats['fastest_epoch']) == (2, 1)
    assert analyze_logs.train_time(records, include_outliers=True)['mean'] == pytest.approx(22 / 6)
    log = _write_log(tmp_path / 'run/20261121_101010/vis_data/scalars.json', records)
    assert analyze_logs.main(['cal_train_time', log]) == 0
    out = capsys.readouterr().out
    assert out.startswith('run/20261121_101010') and '2.0000 s/iter' in out
    with pytest.raises(ValueError, match='no training line'):
        analyze_logs.train_time([dict(mIoU=1.0, step=1)])


def test_publish_model_records_version_and_metafile(tmp_path):
    import yaml

    import refseg

    publish_model = load_script('tools/model_converters/publish_model.py')
    src = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(2)), meta=dict(epoch=1), optimizer=dict()), src)
    final = publish_model.publish(str(src), str(tmp_path / 'tiny.pth'))
    meta = torch.load(final, weights_only=True)['meta']
    assert meta == dict(epoch=1, refseg_version=refseg.__version__)

    metafile = tmp_path / 'metafile.yaml'
    metafile.write_text(
        yaml.safe_dump(
            dict(
                Collections=[dict(Name='C')],
                Models=[
                    dict(
                        Name='tiny',
                        In_Collection='C',
                        Config='configs/x/tiny.py',
                        Metadata={'Parameters (M)': 1.0},
                    )
                ],
            )
        )
    )
    publish_model.record_in_metafile(str(metafile), 'tiny', final, 'https://host/refseg/')
    entry = yaml.safe_load(metafile.read_text())['Models'][0]
    assert entry['Weights'] == f'https://host/refseg/{osp.basename(final)}'
    assert (
        osp.basename(final)[len('tiny-') : -len('.pth')]
        == (entry['Metadata']['Checkpoint SHA256'][:8])
    )
    with pytest.raises(KeyError, match="no model named 'other'"):
        publish_model.record_in_metafile(str(metafile), 'other', final, 'https://host')
