"""Both RISCLIP stages through MMEngine's runner on the synthetic REFER data (CPU, seconds)."""

import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs', 'synthetic')


def tiny_run_cfg(name, data_root, work_dir, iters=2):
    """The repo's tiny synthetic config on the conftest data, shrunk to a few iterations."""
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    cfg.work_dir = work_dir
    for loader in ('train_dataloader', 'val_dataloader'):
        loader_cfg = cfg[loader]
        loader_cfg.update(batch_size=4, num_workers=0, persistent_workers=False)
        # The conftest data is in the REFER layout: read it as is, never regenerate it.
        loader_cfg.dataset.type = 'RefCOCODataset'
        loader_cfg.dataset.pop('generate_cfg')
        loader_cfg.dataset.data_root = data_root
        loader_cfg.dataset.indices = 8
    cfg.pop('test_dataloader'), cfg.pop('test_cfg'), cfg.pop('test_evaluator')
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.pop('visualization')
    return cfg


def test_two_stages_train_and_chain_on_synthetic_data(synthetic_refcoco_root, tmp_path):
    cfg1 = tiny_run_cfg(
        'risclip_tiny_synthetic_stage1.py', synthetic_refcoco_root, str(tmp_path / 'stage1')
    )
    runner1 = Runner.from_cfg(cfg1)
    clip_before = {
        k: v.clone()
        for k, v in runner1.model.state_dict().items()
        if k.startswith(('backbone.', 'text_encoder.'))
    }
    cfe_before = copy.deepcopy(runner1.model.cfe.state_dict())
    runner1.train()
    metrics1 = runner1.message_hub.get_scalar('val/mIoU').current()
    assert 0 <= metrics1 <= 100
    stage1_state = runner1.model.state_dict()
    for key, value in clip_before.items():
        assert torch.equal(stage1_state[key], value), key
    assert any(
        not torch.equal(value, runner1.model.cfe.state_dict()[key])
        for key, value in cfe_before.items()
    )
    checkpoint = str(tmp_path / 'stage1' / 'iter_2.pth')
    assert osp.isfile(checkpoint)

    cfg2 = tiny_run_cfg(
        'risclip_tiny_synthetic.py', synthetic_refcoco_root, str(tmp_path / 'stage2')
    )
    cfg2.load_from = checkpoint
    runner2 = Runner.from_cfg(cfg2)
    runner2.train()
    assert 0 <= runner2.message_hub.get_scalar('val/mIoU').current() <= 100
    for key, value in runner2.model.state_dict().items():
        if not key.startswith('decode_head.decoder.'):
            # Loaded from stage 1 and frozen through stage 2.
            assert torch.equal(value, stage1_state[key]), key
    residual = runner2.model.decode_head.decoder.residual.weight
    assert residual.abs().sum() > 0  # zero-initialised, so it moved in training
