"""Every RISCLIP config parses, builds (on the meta device) and is self-consistent."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from refseg.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'risclip', '*.py')) +
                 glob.glob(osp.join(REPO, 'configs', 'synthetic', 'risclip_*.py')))


def test_all_recipes_are_present():
    names = {osp.basename(path) for path in CONFIGS}
    for backbone in ('vitb', 'vitl'):
        for data in ('refcoco', 'refcoco+', 'refcocog-umd', 'refcocog-google'):
            assert f'risclip_{backbone}_{data}.py' in names
            assert f'risclip_{backbone}_{data}_stage1.py' in names
    assert {'risclip_vitb_refcoco_naive.py', 'risclip_tiny_synthetic_stage1.py',
            'risclip_tiny_synthetic.py', 'risclip_tiny_synthetic_naive.py'} <= names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_is_consistent(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model
    head = model_cfg.decode_head
    assert head.image_dims == model_cfg.backbone.width
    assert head.embed_dims == model_cfg.backbone.output_dim == \
        model_cfg.text_encoder.embed_dim
    assert head.num_levels == len(model_cfg.feature_levels)
    assert model_cfg.context_length <= model_cfg.text_encoder.context_length
    size = model_cfg.data_preprocessor.size
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        letterbox = [t for t in cfg[loader].dataset.pipeline if t.type == 'LetterBox']
        assert [t.size for t in letterbox] == [size[0]], loader
    name = osp.basename(path)[:-3]
    if model_cfg.stage == 2 and not model_cfg.finetune_stage1:
        # A stage-2 recipe starts from its own stage 1.
        assert osp.isfile(osp.join(osp.dirname(path), f'{name}_stage1.py'))
        assert cfg.load_from.startswith(f'work_dirs/{name}_stage1/')
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert not cfg.default_hooks.checkpoint.by_epoch and not cfg.log_processor.by_epoch
    assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_iters

    init_default_scope('refseg')
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    trainable = {name.split('.')[0] if not name.startswith('decode_head') else
                 '.'.join(name.split('.')[:2])
                 for name, param in model.named_parameters() if param.requires_grad}
    if model_cfg.stage == 1:
        assert trainable == {'cfe', 'ske', 'decode_head.grounding'}
    elif model_cfg.finetune_stage1:  # the naive baselines
        assert model_cfg.cfe is None and model_cfg.ske is None
        assert trainable == {'decode_head.grounding', 'decode_head.decoder'}
    else:
        assert trainable == {'decode_head.decoder'}
