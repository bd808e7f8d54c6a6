"""Every config under configs/ loads, and its model, pipelines and hooks build; every
config resolves to the settings recorded in tests/data/config_fingerprints.json.

After an intended change to what a config builds, regenerate the record with
``python tests/test_configs.py`` and say in the commit message which configs changed.
"""
import glob
import hashlib
import importlib.util
import json
import os.path as osp
import sys

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
FINGERPRINT_FILE = osp.join(REPO_ROOT, 'tests', 'data', 'config_fingerprints.json')
# The keys mmengine's Runner (and refseg's tools) read from a config; helper variables
# such as max_iters or train_pipeline only matter through them.
RUNNER_KEYS = (
    'model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler',
    'val_evaluator', 'test_evaluator', 'default_hooks', 'custom_hooks', 'load_from',
    'resume', 'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
    'randomness', 'custom_imports', 'model_wrapper_cfg', 'find_unused_parameters',
    'runner_type', 'img_size', 'init_from_stage1')
# Configs that another piece of work rewrites (the synthetic world, issue 9) are not
# pinned here.
UNPINNED = ('configs/synthetic/', 'configs/clip/',
            'configs/partseg/cris_tiny_partimagenet-synthetic.py')
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
        pytest.skip('needs the optional mmdet (requirements/optional.txt)')
    return cfg


def fingerprint(config: str) -> dict:
    """``{runner key: short hash of its resolved value}`` for one config."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, config)).to_dict()
    prints = {}
    for key in RUNNER_KEYS:
        if key in cfg:
            text = json.dumps(cfg[key], sort_keys=True, default=repr)
            prints[key] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return prints


def pinned_configs():
    return [config for config in CONFIGS if not config.startswith(UNPINNED)]


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


@pytest.mark.parametrize('config', pinned_configs())
def test_config_resolves_as_recorded(config):
    with open(FINGERPRINT_FILE, encoding='utf-8') as file:
        recorded = json.load(file)
    assert config in recorded, (
        f'{config} is new: record it with `python tests/test_configs.py`')
    changed = sorted(key for key, value in fingerprint(config).items()
                     if recorded[config].get(key) != value)
    changed += sorted(set(recorded[config]) - set(fingerprint(config)))
    assert not changed, (
        f'{config} now resolves to different {changed}. If that is intended, '
        'regenerate tests/data/config_fingerprints.json with '
        '`python tests/test_configs.py`.')


if __name__ == '__main__':
    records = {config: fingerprint(config) for config in pinned_configs()}
    with open(FINGERPRINT_FILE, 'w', encoding='utf-8') as file:
        json.dump(records, file, indent=1, sort_keys=True)
        file.write('\n')
    print(f'{len(records)} configs recorded in {FINGERPRINT_FILE}', file=sys.stderr)
