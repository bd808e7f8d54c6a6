"""End-to-end training of the tiny CRIS on synthetic REFER data through MMEngine's runner."""

import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

from refseg.registry import MODELS

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'synthetic', 'cris_tiny_synthetic.py'
)
IMG_SIZE = 64


def _tiny_cfg(data_root: str, work_dir: str) -> Config:
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = work_dir
    cfg.model.data_preprocessor.size = (IMG_SIZE, IMG_SIZE)
    cfg.model.backbone.input_resolution = IMG_SIZE
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader_cfg = cfg[loader]
        loader_cfg.num_workers = 0
        loader_cfg.persistent_workers = False
        loader_cfg.batch_size = 4
        # Read the conftest data as it is: SyntheticRefDataset would regenerate it.
        loader_cfg.dataset.type = 'RefCOCODataset'
        loader_cfg.dataset.pop('generate_cfg')
        loader_cfg.dataset.data_root = data_root
        for step in loader_cfg.dataset.pipeline:
            if step['type'] == 'LetterBox':
                step['size'] = IMG_SIZE
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=8, val_interval=100)
    cfg.param_scheduler = []
    cfg.log_processor = dict(by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(
        type='AtomicCheckpointHook', by_epoch=False, interval=8, save_best=None
    )
    cfg.randomness = dict(seed=0)
    return cfg


def _fixed_batch_loss(model, batch) -> float:
    """Training-mode loss of one fixed batch, without updating anything but BN stats."""
    model.train()
    torch.manual_seed(0)  # same dropout masks before and after training
    with torch.no_grad():
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        losses = model(**data, mode='loss')
    return sum(v.item() for k, v in losses.items() if 'loss' in k)


def _predict(model, batch):
    model.eval()
    with torch.no_grad():
        samples = model.test_step(copy.deepcopy(batch))
    return torch.stack([s.seg_logits.data for s in samples])


def test_tiny_cris_trains_and_checkpoint_reloads(synthetic_refcoco_root, tmp_path):
    cfg = _tiny_cfg(synthetic_refcoco_root, str(tmp_path))
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()  # the runner's own call in train() is then a no-op
    train_batch = next(iter(runner.train_dataloader))
    before = _fixed_batch_loss(runner.model, train_batch)
    runner.train()
    # A copy: a training-mode forward updates BN statistics, which the checkpoint must match.
    after = _fixed_batch_loss(copy.deepcopy(runner.model), train_batch)

    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 8
    assert after < 0.7 * before, f'loss did not fall: {before:.3f} -> {after:.3f}'

    ckpt = osp.join(str(tmp_path), 'iter_8.pth')
    assert osp.isfile(ckpt)
    batch = next(iter(runner.val_dataloader))
    trained = _predict(runner.model, batch)

    reloaded = MODELS.build(cfg.model)
    load_checkpoint(reloaded, ckpt, map_location='cpu', strict=True)
    assert torch.equal(_predict(reloaded, batch), trained)

    fresh = MODELS.build(cfg.model)
    assert not torch.equal(_predict(fresh, batch), trained)
