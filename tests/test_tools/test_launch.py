"""Unit tests for the set-up the tools share (refseg.engine.launcher) and tools/test.py."""

import pytest
import torch
from mmengine.config import Config

from refseg.engine import launcher as runner_setup
from script_loader import load_script


def test_rank_env_from_slurm_and_mpi():
    slurm = dict(
        SLURM_PROCID='3',
        SLURM_NTASKS='8',
        SLURM_LOCALID='1',
        SLURM_NODELIST='node[1-2]',
        MASTER_ADDR='10.0.0.1',
    )
    assert runner_setup.rank_env_from_launcher('slurm', slurm) == dict(
        RANK='3', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_ADDR='10.0.0.1', MASTER_PORT='29500'
    )
    mpi = dict(
        OMPI_COMM_WORLD_RANK='1',
        OMPI_COMM_WORLD_SIZE='2',
        OMPI_COMM_WORLD_LOCAL_RANK='0',
        MASTER_ADDR='host',
        MASTER_PORT='1234',
    )
    assert runner_setup.rank_env_from_launcher('mpi', mpi) == dict(
        RANK='1', WORLD_SIZE='2', LOCAL_RANK='0', MASTER_ADDR='host', MASTER_PORT='1234'
    )
    with pytest.raises(KeyError, match=r"\['RANK', 'WORLD_SIZE'\].*torchrun"):
        runner_setup.rank_env_from_launcher('pytorch', {})
    with pytest.raises(KeyError, match='MASTER_ADDR'):
        mpi.pop('MASTER_ADDR')
        runner_setup.rank_env_from_launcher('mpi', mpi)


def test_setup_launcher_none_and_bad_value():
    cfg = Config(dict(model=dict()))
    runner_setup.setup_launcher(cfg, 'none')
    assert cfg.launcher == 'none' and 'model_wrapper_cfg' not in cfg
    with pytest.raises(ValueError, match="launcher must be one of .*'torchrun'"):
        runner_setup.setup_launcher(cfg, 'torchrun')


def test_setup_launcher_on_cpu_wraps_ddp_without_device_ids(monkeypatch):
    # Pretend the gloo group is already up (tools/dist_train.sh starts it for real).
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(runner_setup.torch_dist, 'is_initialized', lambda: True)
    cfg = Config(dict(find_unused_parameters=True))
    runner_setup.setup_launcher(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel',
        device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=True,
    )
    own = Config(dict(model_wrapper_cfg=dict(find_unused_parameters=True)))
    runner_setup.setup_launcher(own, 'pytorch')
    assert own.model_wrapper_cfg == dict(find_unused_parameters=True, device_ids=None)


def test_enable_amp(monkeypatch):
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer={})))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.warns(UserWarning, match='--amp ignored'):
        runner_setup.enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'OptimWrapper'

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    runner_setup.enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    bf16 = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', dtype='bfloat16')))
    runner_setup.enable_amp(bf16)
    assert bf16.optim_wrapper == dict(
        type='AmpOptimWrapper', dtype='bfloat16', loss_scale='dynamic'
    )
    other = Config(dict(optim_wrapper=dict(type='OptimWrapperDict')))
    with pytest.raises(ValueError, match="'OptimWrapperDict'"):
        runner_setup.enable_amp(other)


def test_test_tool_switches_on_visualization_and_output_file(tmp_path):
    test_tool = load_script('tools/test.py')
    cfg = Config(
        dict(
            default_scope='refseg',
            default_hooks=dict(visualization=dict(type='RefSegVisualizationHook', draw=False)),
            test_evaluator=dict(type='RefSegMetric'),
        )
    )
    test_tool.enable_visualization(cfg, show=False, show_dir='vis', wait_time=2)
    assert cfg.default_hooks.visualization == dict(
        type='RefSegVisualizationHook', draw=True, show_dir='vis'
    )
    test_tool.enable_visualization(cfg, show=True, show_dir=None, wait_time=0.5)
    assert cfg.default_hooks.visualization.show
    assert cfg.default_hooks.visualization.wait_time == 0.5
    test_tool.enable_visualization(cfg, False, 'vis', 2, interval=7)  # --show-interval
    assert cfg.default_hooks.visualization.interval == 7

    test_tool.set_output_file(cfg, str(tmp_path / 'out'))
    assert cfg.test_evaluator.output_file == str(tmp_path / 'out' / 'per_sentence.json')
    assert (tmp_path / 'out').is_dir()
    # Metrics without output_file (mmdet's CocoMetric) are left alone; subclasses that
    # pass it on through **kwargs get it.
    listed = Config(
        dict(
            default_scope='refseg',
            test_evaluator=[
                dict(type='mmdet.CocoMetric'),
                dict(type='RefSegMetric'),
                dict(type='PartMaskRCNNMetric'),
            ],
        )
    )
    test_tool.set_output_file(listed, str(tmp_path / 'res.json'))
    assert [m.get('output_file') for m in listed.test_evaluator] == [
        None,
        str(tmp_path / 'res_0.json'),
        str(tmp_path / 'res_1.json'),
    ]
    coco_only = Config(dict(default_scope='mmdet', test_evaluator=dict(type='CocoMetric')))
    with pytest.raises(ValueError, match=r"--out: none of the test metrics \['CocoMetric'\]"):
        test_tool.set_output_file(coco_only, str(tmp_path / 'res.json'))
    typo = Config(dict(default_scope='refseg', test_evaluator=dict(type='RefSegMetrik')))
    with pytest.raises(KeyError, match=r"\['RefSegMetrik'\] that are not registered"):
        test_tool.set_output_file(typo, str(tmp_path / 'res.json'))

    with pytest.raises(KeyError, match='default_hooks.visualization'):
        test_tool.enable_visualization(Config(dict()), True, None, 1)
    # mmdet's hook (the Mask R-CNN baseline config) names its folder test_out_dir.
    det = Config(
        dict(
            default_scope='mmdet',
            default_hooks=dict(visualization=dict(type='DetVisualizationHook')),
        )
    )
    test_tool.enable_visualization(det, show=False, show_dir='vis', wait_time=2)
    assert det.default_hooks.visualization == dict(
        type='DetVisualizationHook', draw=True, test_out_dir='vis'
    )
    timer = Config(
        dict(default_scope='refseg', default_hooks=dict(visualization=dict(type='IterTimerHook')))
    )
    with pytest.raises(ValueError, match="'IterTimerHook' takes neither"):
        test_tool.enable_visualization(timer, show=False, show_dir='vis', wait_time=2)
