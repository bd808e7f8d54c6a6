"""Every config under configs/ loads, and its model, pipelines and hooks build."""
import glob
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import HOOKS, MODELS, TRANSFORMS, DefaultScope

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT)
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, REPO_ROOT).split(osp.sep))
WEIGHT_KEYS = ('init_cfg', 'pretrained')
# Models shared by several configs (one per dataset) are built once.
_built_models = {}


def without_weights(cfg):
    """A copy of a config tree without the keys that point at weight files."""
    if isinstance(cfg, dict):
        return {key: without_weights(value) for key, value in cfg.items()
                if key not in WEIGHT_KEYS}
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(without_weights(value) for value in cfg)
    return cfg


def pipelines_of(cfg, found=None):
    """Every ``pipeline`` list in a config tree (dataset wrappers included)."""
    found = [] if found is None else found
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if key == 'pipeline' and isinstance(value, list):
                found.append(value)
            else:
                pipelines_of(value, found)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            pipelines_of(value, found)
    return found


def load(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    if cfg.get('default_scope') == 'mmdet' and importlib.util.find_spec('mmdet') is None:
        pytest.skip('needs the optional mmdet (the mmdet extra in pyproject.toml)')
    return cfg


def test_configs_are_found():
    assert 'configs/synthetic/cris_tiny_synthetic.py' in CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_model_and_pipelines_build(config):
    cfg = load(config)
    model_cfg = ConfigDict(without_weights(cfg.model.to_dict()))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        key = (cfg.default_scope, repr(model_cfg))
        if key not in _built_models:
            # Meta tensors: full-size models build in no time and no memory.
            with torch.device('meta'):
                _built_models[key] = MODELS.build(model_cfg)
        assert isinstance(_built_models[key], torch.nn.Module)

        pipelines = pipelines_of(
            [cfg.get(f'{split}_dataloader') for split in ('train', 'val', 'test')])
        assert pipelines, f'{config} defines no data pipeline'
        for pipeline in pipelines:
            for transform in pipeline:
                assert callable(TRANSFORMS.build(transform))


@pytest.mark.parametrize('config', CONFIGS)
def test_runtime_hooks(config):
    cfg = load(config)
    hooks = cfg.default_hooks
    # Resume relies on it: atomic files that load with torch.load(weights_only=True).
    checkpoint_type = hooks.checkpoint.type
    assert checkpoint_type in ('AtomicCheckpointHook', 'refseg.AtomicCheckpointHook'), (
        f"{config}: default_hooks.checkpoint.type is {checkpoint_type!r}; use "
        "'AtomicCheckpointHook' ('refseg.AtomicCheckpointHook' outside the refseg scope) "
        'so that runs resume after a kill (docs/training.md)')
    with HOOKS.switch_scope_and_registry(cfg.default_scope) as registry:
        for name, hook in hooks.items():
            assert registry.get(hook.type) is not None, (
                f'{config}: default_hooks.{name} type {hook.type!r} is not registered')
