"""Every config under configs/ loads, and its model, pipelines and hooks build; every
config resolves to the settings recorded in tests/data/config_fingerprints.json.

After an intended change to what a config builds, regenerate the record with
``python tests/test_configs.py`` and say in the commit message which configs changed.
"""

import copy
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

from refseg.utils.config_overrides import RUNNER_KEYS, check_input_size, merge_cfg_options

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT)
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, REPO_ROOT).split(osp.sep)
)
WEIGHT_KEYS = ('init_cfg', 'pretrained')
FINGERPRINT_FILE = osp.join(REPO_ROOT, 'tests', 'data', 'config_fingerprints.json')
# Configs that another piece of work rewrites (the synthetic world, issue 9) are not
# pinned here.
UNPINNED = (
    'configs/synthetic/',
    'configs/clip/',
    'configs/partseg/cris_tiny_partimagenet-synthetic.py',
)
# Models shared by several configs (one per dataset) are built once.
_built_models = {}


def without_weights(cfg):
    """A copy of a config tree without the keys that point at weight files."""
    if isinstance(cfg, dict):
        return {key: without_weights(value) for key, value in cfg.items() if key not in WEIGHT_KEYS}
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


def fingerprint(config: str) -> dict:
    """``{runner key: short hash of its resolved value}`` for one config."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, config)).to_dict()
    prints = {}
    # The keys the Runner and refseg's tools read; helper variables such as max_iters or
    # train_pipeline only matter through them.
    for key in sorted(RUNNER_KEYS):
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
            [cfg.get(f'{split}_dataloader') for split in ('train', 'val', 'test')]
        )
        assert pipelines, f'{config} defines no data pipeline'
        check_input_size(cfg)  # every LetterBox matches the data preprocessor
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
        f'{config}: default_hooks.checkpoint.type is {checkpoint_type!r}; use '
        "'AtomicCheckpointHook' ('refseg.AtomicCheckpointHook' outside the refseg scope) "
        'so that runs resume after a kill (docs/training.md)'
    )
    with HOOKS.switch_scope_and_registry(cfg.default_scope) as registry:
        for name, hook in hooks.items():
            assert registry.get(hook.type) is not None, (
                f'{config}: default_hooks.{name} type {hook.type!r} is not registered'
            )


@pytest.mark.parametrize('config', pinned_configs())
def test_config_resolves_as_recorded(config):
    with open(FINGERPRINT_FILE, encoding='utf-8') as file:
        recorded = json.load(file)
    assert config in recorded, f'{config} is new: record it with `python tests/test_configs.py`'
    changed = sorted(
        key for key, value in fingerprint(config).items() if recorded[config].get(key) != value
    )
    changed += sorted(set(recorded[config]) - set(fingerprint(config)))
    assert not changed, (
        f'{config} now resolves to different {changed}. If that is intended, '
        'regenerate tests/data/config_fingerprints.json with '
        '`python tests/test_configs.py`.'
    )


def _letterbox_sizes(cfg):
    return [
        t.size
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for t in cfg[loader].dataset.pipeline
        if t.type == 'LetterBox'
    ]


def test_img_size_reaches_every_resize_and_the_preprocessor():
    cfg = load('configs/cris/cris_r50_refcoco.py')
    merge_cfg_options(cfg, {'img_size': 320})
    assert _letterbox_sizes(cfg) == [320, 320, 320]
    assert tuple(cfg.model.data_preprocessor.size) == (320, 320)
    assert cfg.img_size == 320
    assert cfg.model.backbone.input_resolution == 224  # CLIP's own, resized at run time

    # A randomly initialised backbone sized to the input follows it.
    tiny = Config(
        dict(
            img_size=64,
            model=dict(
                data_preprocessor=dict(size=(64, 64)),
                backbone=dict(type='CLIPVisionTransformer', patch_size=8, input_resolution=64),
            ),
            train_dataloader=dict(dataset=dict(pipeline=[dict(type='LetterBox', size=64)])),
        )
    )
    kept = copy.deepcopy(tiny)
    merge_cfg_options(tiny, {'img_size': 96})
    assert tiny.model.backbone.input_resolution == 96
    assert tiny.train_dataloader.dataset.pipeline[0].size == 96
    # Testing a trained model at another size: its input_resolution, said beside, stays.
    merge_cfg_options(kept, {'img_size': 96, 'model.backbone.input_resolution': 64})
    assert kept.model.backbone.input_resolution == 64
    assert tuple(kept.model.data_preprocessor.size) == (96, 96)
    with pytest.raises(ValueError, match='multiple of 8'):
        merge_cfg_options(tiny, {'img_size': 100})


def test_data_root_reaches_every_dataset():
    cfg = load('configs/cris/cris_r50_refcoco.py')
    merge_cfg_options(cfg, {'data_root': '/data/coco'})
    assert [cfg[f'{split}_dataloader'].dataset.data_root for split in ('train', 'val', 'test')] == [
        '/data/coco'
    ] * 3


def test_length_keeps_schedule_and_intervals_consistent():
    cfg = load('configs/cris/cris_r50_refcoco.py')
    merge_cfg_options(cfg, {'train_cfg.max_epochs': 10})
    assert cfg.param_scheduler[0].milestones == [7] and cfg.param_scheduler[0].end == 10
    assert cfg.train_cfg.val_interval == 1 and cfg.default_hooks.checkpoint.interval == 1

    cfg = load('configs/risclip/risclip_vitb_refcoco_stage1.py')
    merge_cfg_options(cfg, {'max_iters': 600})  # the shorthand
    warmup, poly = cfg.param_scheduler
    assert (warmup.begin, warmup.end, poly.begin) == (0, 10, 10)
    assert 'end' not in poly  # the Runner ends it at max_iters
    assert cfg.train_cfg.max_iters == 600
    assert cfg.train_cfg.val_interval == cfg.default_hooks.checkpoint.interval == 600
    cfg = load('configs/risclip/risclip_vitb_refcoco_stage1.py')
    merge_cfg_options(cfg, {'max_iters': 2})  # a smoke run: the warm-up keeps end > begin
    assert (cfg.param_scheduler[0].begin, cfg.param_scheduler[0].end) == (0, 1)


def test_intervals_move_together():
    cfg = load('configs/cris/cris_r50_refcoco.py')
    merge_cfg_options(cfg, {'train_cfg.val_interval': 5})
    assert cfg.default_hooks.checkpoint.interval == 5
    cfg = load('configs/cris/cris_r50_refcoco.py')
    merge_cfg_options(cfg, {'val_interval': 2, 'default_hooks.checkpoint.interval': 4})
    assert (cfg.train_cfg.val_interval, cfg.default_hooks.checkpoint.interval) == (2, 4)


@pytest.mark.parametrize(
    'config, options, message',
    [
        (
            'configs/risclip/risclip_vitb_refcoco_stage1.py',
            {'warmup_iters': 10},
            'variable of the config file',
        ),
        ('configs/cris/cris_r50_refcoco.py', {'train_pipeline': []}, 'variable of the config file'),
        (
            'configs/risclip/risclip_vitb_refcoco_stage1.py',
            {'train_cfg.max_epochs': 3},
            'set train_cfg.max_iters',
        ),
        ('configs/risclip/risclip_vitb_refcoco_stage1.py', {'img_size': 330}, 'multiple of 16'),
        (
            'configs/cris/cris_r50_refcoco.py',
            {'model.data_preprocessor.size': [320, 320]},
            'img_size=N',
        ),
    ],
)
def test_overrides_that_cannot_take_effect_are_refused(config, options, message):
    with pytest.raises(ValueError, match=message):
        merge_cfg_options(load(config), options)


if __name__ == '__main__':
    records = {config: fingerprint(config) for config in pinned_configs()}
    with open(FINGERPRINT_FILE, 'w', encoding='utf-8') as file:
        # One line per config, so that a diff names the configs that changed.
        lines = [
            f'{json.dumps(config)}: {json.dumps(records[config], sort_keys=True)}'
            for config in sorted(records)
        ]
        file.write('{\n' + ',\n'.join(lines) + '\n}\n')
    print(f'{len(records)} configs recorded in {FINGERPRINT_FILE}', file=sys.stderr)
