"""Every RISCLIP config parses, builds (on the meta device) and is self-consistent; the
RISCLIP recipe's optimizer groups, stage-2 start and decoder norm are as the spec says."""

import glob
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from refseg.registry import MODELS
from refseg.utils.config_overrides import resolve_stage1_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RECIPES = sorted(glob.glob(osp.join(REPO, 'configs', 'risclip', '*.py')))
CONFIGS = sorted(RECIPES + glob.glob(osp.join(REPO, 'configs', 'synthetic', 'risclip_*.py')))


def test_all_recipes_are_present():
    names = {osp.basename(path) for path in CONFIGS}
    for backbone in ('vitb', 'vitl'):
        for data in ('refcoco', 'refcoco+', 'refcocog-umd', 'refcocog-google'):
            assert f'risclip_{backbone}_{data}.py' in names
            assert f'risclip_{backbone}_{data}_stage1.py' in names
    assert {
        'risclip_vitb_refcoco_naive.py',
        'risclip-lite_vitb_refcoco.py',
        'risclip-lite_vitb_refcoco_stage1.py',
        'risclip_tiny_synthetic_stage1.py',
        'risclip_tiny_synthetic.py',
        'risclip_tiny_synthetic_naive.py',
    } <= names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_is_consistent(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model
    head = model_cfg.decode_head
    assert head.image_dims == model_cfg.backbone.width
    assert head.embed_dims == model_cfg.backbone.output_dim == model_cfg.text_encoder.embed_dim
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
        if path in RECIPES or cfg.get('init_from_stage1'):
            # Found in the stage-1 work dir when training starts (resolve_stage1_checkpoint).
            assert cfg.init_from_stage1 is True and cfg.load_from is None
        else:
            assert cfg.load_from.startswith(f'work_dirs/{name}_stage1/')
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert not cfg.default_hooks.checkpoint.by_epoch and not cfg.log_processor.by_epoch
    # The last scheduler runs to the end of training: its own `end`, or none, and then
    # mmengine's Runner ends it at train_cfg.max_iters.
    assert cfg.param_scheduler[-1].get('end', cfg.train_cfg.max_iters) == cfg.train_cfg.max_iters

    init_default_scope('refseg')
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    trainable = {
        name.split('.')[0] if not name.startswith('decode_head') else '.'.join(name.split('.')[:2])
        for name, param in model.named_parameters()
        if param.requires_grad
    }
    # gRES configs train their no-target head in both stages.
    extra = {'no_target_head'} if model_cfg.get('no_target_head') else set()
    if model_cfg.stage == 1:
        assert trainable == {'cfe', 'ske', 'decode_head.grounding'} | extra
    elif model_cfg.finetune_stage1:  # the naive baselines
        assert model_cfg.cfe is None and model_cfg.ske is None
        assert trainable == {'decode_head.grounding', 'decode_head.decoder'} | extra
    else:
        assert trainable == {'decode_head.decoder'} | extra


def _param_groups(config, **model_options):
    """``{parameter name: (lr, weight_decay)}`` of a RISCLIP config's optimizer, built on
    the meta device (float32 OptimWrapper: AmpOptimWrapper needs CUDA)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'risclip', config))
    cfg.model.update(model_options)
    init_default_scope('refseg')
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg.update(type='OptimWrapper')
    optim_cfg.pop('dtype')
    groups = build_optim_wrapper(model, optim_cfg).optimizer.param_groups
    names = {id(param): name for name, param in model.named_parameters()}
    return {
        names[id(group['params'][0])]: (group['lr'], group['weight_decay']) for group in groups
    }, model


def _no_decay(model, name):
    owner = model.get_submodule(name.rsplit('.', 1)[0]) if '.' in name else model
    return name.endswith('bias') or isinstance(
        owner, (torch.nn.LayerNorm, torch.nn.modules.batchnorm._BatchNorm)
    )


@pytest.mark.parametrize(
    'config, options, scaled',
    [
        ('risclip_vitb_refcoco_stage1.py', {}, ()),
        # Stage 2 fine-tuning CFE/SKE at 0.1x: the custom keys must keep the decay rules.
        ('risclip_vitb_refcoco.py', dict(finetune_stage1=True), ('cfe.', 'ske.')),
    ],
)
def test_no_weight_decay_on_biases_and_norms(config, options, scaled):
    groups, model = _param_groups(config, **options)
    base_lr = Config.fromfile(
        osp.join(REPO, 'configs', 'risclip', config)
    ).optim_wrapper.optimizer.lr
    in_proj = [name for name in groups if name.endswith('in_proj_bias')]
    assert any(name.startswith('cfe.') for name in in_proj)
    assert any(name.startswith('ske.') for name in in_proj)
    for name, (lr, decay) in groups.items():
        if name.startswith('decode_head.grounding') or _no_decay(model, name):
            assert decay == 0.0, name
        else:
            assert decay == 5e-3, name
        expected = 0.1 if name.startswith(scaled) and scaled else 1.0
        if name.startswith('decode_head.grounding') and options:
            expected = 0.1
        assert lr == pytest.approx(base_lr * expected), name


def test_decoder_uses_sync_bn():
    for path in RECIPES:
        norm = Config.fromfile(path).model.decode_head.decoder.norm_cfg
        assert norm.type == 'SyncBN', path


def test_stage2_finds_stage1_checkpoint(tmp_path):
    config = 'configs/risclip/risclip_vitb_refcoco.py'
    cfg = Config.fromfile(osp.join(REPO, config))
    with pytest.raises(FileNotFoundError) as error:
        resolve_stage1_checkpoint(cfg, config, work_root=str(tmp_path))
    assert 'python tools/train.py configs/risclip/risclip_vitb_refcoco_stage1.py' in str(
        error.value
    )
    assert cfg.load_from is None

    work_dir = tmp_path / 'risclip_vitb_refcoco_stage1'
    os.makedirs(work_dir)
    checkpoint = work_dir / 'iter_60000.pth'
    checkpoint.write_bytes(b'')
    (work_dir / 'last_checkpoint').write_text(str(checkpoint))
    assert resolve_stage1_checkpoint(cfg, config, work_root=str(tmp_path)) == str(checkpoint)
    assert cfg.load_from == str(checkpoint)

    # --resume: a stage 2 without a checkpoint of its own starts from stage 1 ...
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.merge_from_dict(dict(resume=True, work_dir=str(tmp_path / 'stage2')))
    assert resolve_stage1_checkpoint(cfg, config, work_root=str(tmp_path)) == str(checkpoint)
    assert not cfg.resume
    # ... and one with a checkpoint resumes it.
    os.makedirs(tmp_path / 'stage2')
    (tmp_path / 'stage2' / 'last_checkpoint').write_text('stage2/iter_10.pth')
    cfg.merge_from_dict(dict(resume=True, load_from=None))
    assert resolve_stage1_checkpoint(cfg, config, work_root=str(tmp_path)) is None
    assert cfg.resume and cfg.load_from is None

    # An explicit load_from (tools/train_two_stage.sh) wins.
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.load_from = 'given.pth'
    assert resolve_stage1_checkpoint(cfg, config, work_root=str(tmp_path)) is None
    assert cfg.load_from == 'given.pth'
