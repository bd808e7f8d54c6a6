"""End-to-end training of the tiny CRIS on synthetic REFER data through MMEngine's runner."""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

from refseg.registry import MODELS

CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'synthetic',
                  'cris_tiny_synthetic.py')
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
        type='AtomicCheckpointHook', by_epoch=False, interval=8, save_best=None)
    cfg.randomness = dict(seed=0)
    return cfg


def _predict(model, batch):
    model.eval()
    with torch.no_grad():
        samples = model.test_step(copy.deepcopy(batch))
    return torch.stack([s.seg_logits.data for s in samples])


def test_tiny_cris_trains_and_checkpoint_reloads(synthetic_refcoco_root, tmp_path):
    cfg = _tiny_cfg(synthetic_refcoco_root, str(tmp_path))
    runner = Runner.from_cfg(cfg)
    runner.train()

    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 8
    assert sum(losses[-2:]) < sum(losses[:2]), f'loss did not fall: {losses}'

    ckpt = osp.join(str(tmp_path), 'iter_8.pth')
    assert osp.isfile(ckpt)
    batch = next(iter(runner.val_dataloader))
    trained = _predict(runner.model, batch)

    reloaded = MODELS.build(cfg.model)
    load_checkpoint(reloaded, ckpt, map_location='cpu', strict=True)
    assert torch.equal(_predict(reloaded, batch), trained)

    fresh = MODELS.build(cfg.model)
    assert not torch.equal(_predict(fresh, batch), trained)
