"""CLIP pretraining through MMEngine's runner, export in OpenAI's layout, and loading the
export into CRIS and RISCLIP configs through CLIPPretrained."""

import copy
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from refseg.models.backbones.clip import resize_pos_embed
from refseg.models.pretrainers import CLIPPretrainer, clip_contrastive_loss
from refseg.registry import MODELS
from script_loader import load_script

REPO = osp.join(osp.dirname(__file__), '..', '..', '..')
CLIP_CONFIGS = osp.join(REPO, 'configs', 'clip')
SYNTHETIC_CONFIGS = osp.join(REPO, 'configs', 'synthetic')
EXPORT_TOOL = 'tools/model_converters/clip_refseg_to_openai.py'
COLOURS_BGR = dict(red=(0, 0, 220), green=(0, 200, 0), blue=(220, 0, 0), yellow=(0, 220, 220))


def _write_pairs(root: str, split: str, per_colour: int, seed: int) -> None:
    """Images of one coloured square on grey, captioned with the colour (scene) and, for
    the square itself, 'the <colour> square' with its box (object)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for colour, bgr in COLOURS_BGR.items():
        for index in range(per_colour):
            image = np.full((20, 24, 3), 128, np.uint8)
            x, y = int(rng.integers(0, 14)), int(rng.integers(0, 10))
            image[y : y + 10, x : x + 10] = bgr
            name = f'{split}_{colour}_{index}.png'
            cv2.imwrite(osp.join(root, name), image)
            pairs.append(
                dict(
                    image=name, caption=f'a {colour} picture', kind='scene', bbox=None, ann_id=None
                )
            )
            pairs.append(
                dict(
                    image=name,
                    caption=f'the {colour} square',
                    kind='object',
                    bbox=[x, y, 10, 10],
                    ann_id=index,
                )
            )
    with open(osp.join(root, f'pairs_{split}.json'), 'w') as f:
        json.dump(dict(version=1, pairs=pairs), f)


@pytest.fixture(scope='module')
def pairs_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('pairs'))
    _write_pairs(root, 'train', per_colour=6, seed=0)
    _write_pairs(root, 'val', per_colour=2, seed=1)
    return root


def _tiny_cfg(config: str, data_root: str, work_dir: str, iters: int) -> Config:
    cfg = Config.fromfile(osp.join(CLIP_CONFIGS, config))
    cfg.work_dir = work_dir
    cfg.model.data_preprocessor.size = (16, 16)
    visual = cfg.model.visual
    visual.input_resolution = 16 if visual.type == 'CLIPVisionTransformer' else 32
    if visual.type == 'CLIPVisionTransformer':
        visual.update(width=32, layers=4, heads=2)
    cfg.model.text_encoder.update(width=32, layers=2, heads=2)
    cfg.model.context_length = 8
    cfg.model.text_encoder.context_length = 8
    for loader in ('train_dataloader', 'val_dataloader'):
        loader_cfg = cfg[loader]
        loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=8)
        loader_cfg.dataset.update(data_root=data_root, generate_cfg=None, object_view='image')
        for step in loader_cfg.dataset.pipeline:
            if step['type'] == 'LetterBox':
                step['size'] = 16
    cfg.optim_wrapper.optimizer.lr = 3e-3
    cfg.param_scheduler = []
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(
        type='AtomicCheckpointHook', by_epoch=False, interval=iters, save_best=None
    )
    cfg.randomness = dict(seed=0)
    return cfg


def test_contrastive_loss_masks_duplicate_captions():
    embeds = torch.nn.functional.normalize(torch.eye(3), dim=-1)
    # image 0 and 1 have the same caption, and text 1 equals image 0's embedding: with the
    # duplicate masked, text 1 is no wrong answer for image 0
    texts = embeds[[0, 0, 2]]
    same = torch.tensor([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=torch.bool)
    masked = clip_contrastive_loss(embeds, texts, torch.tensor(100.0), same)
    unmasked = clip_contrastive_loss(embeds, texts, torch.tensor(100.0))
    assert masked < unmasked
    perfect = clip_contrastive_loss(embeds, embeds, torch.tensor(100.0))
    assert perfect < 1e-6


def test_logit_scale_init_and_clip():
    cfg = Config.fromfile(osp.join(CLIP_CONFIGS, 'clip_vit-tiny_synthetic.py'))
    model = MODELS.build(cfg.model)
    assert isinstance(model, CLIPPretrainer)
    assert math.isclose(model.logit_scale.item(), math.log(1 / 0.07), rel_tol=1e-6)
    with torch.no_grad():
        model.logit_scale.fill_(10.0)
    assert math.isclose(model.scale().item(), 100.0, rel_tol=1e-5)


def test_resnet_must_be_pooled():
    cfg = Config.fromfile(osp.join(CLIP_CONFIGS, 'clip_rn-tiny_synthetic.py'))
    cfg.model.visual.dense_attnpool = True
    with pytest.raises(ValueError, match='dense_attnpool=False'):
        MODELS.build(cfg.model)


def test_vit_image_pool_patch_mean():
    cfg = Config.fromfile(osp.join(CLIP_CONFIGS, 'clip_vit-tiny_synthetic.py'))
    cls_model = MODELS.build(cfg.model).eval()
    cfg.model.image_pool = 'patch_mean'
    mean_model = MODELS.build(cfg.model).eval()
    mean_model.load_state_dict(cls_model.state_dict())  # same weights, same layout
    images = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        out = cls_model.visual(images)
        by_cls, by_mean = cls_model.encode_image(images), mean_model.encode_image(images)
    expected = torch.nn.functional.normalize(out['patch_tokens'].mean(1), dim=-1)
    torch.testing.assert_close(by_mean, expected)
    torch.testing.assert_close(by_cls, torch.nn.functional.normalize(out['cls'], dim=-1))
    assert not torch.allclose(by_cls, by_mean)


def test_image_pool_checks():
    cfg = Config.fromfile(osp.join(CLIP_CONFIGS, 'clip_rn-tiny_synthetic.py'))
    cfg.model.image_pool = 'patch_mean'
    with pytest.raises(ValueError, match='needs a CLIPVisionTransformer'):
        MODELS.build(cfg.model)
    cfg.model.image_pool = 'max'
    with pytest.raises(ValueError, match="image_pool must be 'cls' or 'patch_mean'"):
        MODELS.build(cfg.model)


def _no_decay(runner, name_part: str) -> bool:
    params = dict(runner.model.named_parameters())
    for group in runner.optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            names = [n for n, p in params.items() if p is param]
            if names and name_part in names[0]:
                return group['weight_decay'] == 0
    raise AssertionError(f'no parameter named *{name_part}*')


def _fixed_batch_loss(model, batch) -> float:
    model.train()
    with torch.no_grad():
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        return model(**data, mode='loss')['loss_clip'].item()


def _segmentor_with_clip(config: str, checkpoint: str, tower_sizes: dict):
    """Build a segmentor config whose towers load ``checkpoint`` through CLIPPretrained."""
    cfg = Config.fromfile(osp.join(SYNTHETIC_CONFIGS, config))
    for part in ('backbone', 'text_encoder'):
        cfg.model[part].update(tower_sizes[part])
        assert cfg.model[part].init_cfg.type == 'CLIPPretrained'
        cfg.model[part].init_cfg.checkpoint = checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _assert_loaded(tower, openai_state: dict, prefix: str, skip=()) -> int:
    own = tower.state_dict()
    checked = 0
    for key, value in openai_state.items():
        if not key.startswith(prefix) or key == 'logit_scale':
            continue
        name = key[len(prefix) :]
        if name in skip or name.endswith('num_batches_tracked'):
            continue
        assert torch.equal(own[name], value), f'{key} did not arrive'
        checked += 1
    return checked


def test_vit_pretraining_learns_and_loads_into_risclip(pairs_root, tmp_path):
    cfg = _tiny_cfg('clip_vit-tiny_synthetic.py', pairs_root, str(tmp_path), iters=30)
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    batch = next(iter(runner.train_dataloader))
    before = _fixed_batch_loss(runner.model, batch)
    runner.train()
    for name in ('logit_scale', 'token_embedding', 'in_proj_bias', 'positional_embedding'):
        assert _no_decay(runner, name), f'{name} must not be weight-decayed'
    assert not _no_decay(runner, 'mlp.c_fc.weight')
    after = _fixed_batch_loss(runner.model, batch)
    assert after < 0.7 * before, f'loss did not fall: {before:.3f} -> {after:.3f}'
    metrics = runner.val_loop.run()
    assert metrics['retrieval/num_images'] == 8
    # 4 colours: a random ranking finds one of an image's 2 captions among 8 first
    # 25% of the time (and an image among 8 for a caption 25% of the time)
    assert metrics['retrieval/chance_i2t@1'] == 25.0
    assert metrics['retrieval/i2t_R@1'] >= 2 * metrics['retrieval/chance_i2t@1']
    assert metrics['retrieval/t2i_R@1'] >= 2 * metrics['retrieval/chance_t2i@1']

    exported = osp.join(str(tmp_path), 'clip_vit_openai.pth')
    load_script(EXPORT_TOOL).main([osp.join(str(tmp_path), 'iter_30.pth'), exported])
    openai_state = torch.load(exported, weights_only=True)
    assert {
        'visual.proj',
        'visual.class_embedding',
        'token_embedding.weight',
        'text_projection',
        'ln_final.weight',
        'logit_scale',
    } <= set(openai_state)
    assert not any(key.startswith('text_encoder.') for key in openai_state)

    visual, text = cfg.model.visual, cfg.model.text_encoder
    sizes = dict(
        backbone=dict(
            input_resolution=16,
            patch_size=8,
            width=visual.width,
            layers=visual.layers,
            heads=visual.heads,
            output_dim=visual.output_dim,
        ),
        text_encoder=dict(
            width=text.width,
            layers=text.layers,
            heads=text.heads,
            embed_dim=text.embed_dim,
            context_length=8,
        ),
    )
    risclip = _segmentor_with_clip('risclip_vit-tiny-clip_synthetic_stage1.py', exported, sizes)
    assert _assert_loaded(risclip.backbone, openai_state, 'visual.') > 10
    text_state = {k: v for k, v in openai_state.items() if not k.startswith('visual.')}
    assert _assert_loaded(risclip.text_encoder, text_state, '') > 10


def test_resnet_export_loads_into_cris(tmp_path):
    cfg = Config.fromfile(osp.join(CLIP_CONFIGS, 'clip_rn-tiny_synthetic.py'))
    pretrainer = MODELS.build(cfg.model)
    with torch.no_grad():  # make BN statistics differ from a fresh module's
        for module in pretrainer.visual.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
    source = osp.join(str(tmp_path), 'pretrainer.pth')
    torch.save(dict(state_dict=pretrainer.state_dict()), source)
    exported = osp.join(str(tmp_path), 'clip_rn_openai.pth')
    load_script(EXPORT_TOOL).main([source, exported])
    openai_state = torch.load(exported, weights_only=True)
    assert 'visual.attnpool.c_proj.weight' in openai_state

    cris = _segmentor_with_clip(
        'cris_rn-tiny-clip_synthetic.py', exported, dict(backbone={}, text_encoder={})
    )
    # pretrained at 96 px (3 x 3 grid), CRIS runs at 128 px (4 x 4): the grid is resized
    pos_key = 'attnpool.positional_embedding'
    assert _assert_loaded(cris.backbone, openai_state, 'visual.', skip=(pos_key,)) > 20
    grid = cris.backbone.input_resolution // 32
    assert torch.allclose(
        cris.backbone.attnpool.positional_embedding,
        resize_pos_embed(openai_state['visual.' + pos_key], (grid, grid)),
    )
    text_keys = {k: v for k, v in openai_state.items() if not k.startswith('visual.')}
    # CRIS keeps the first context_length rows of the longer pretrained positional table
    pos = text_keys.pop('positional_embedding')
    assert torch.equal(
        cris.text_encoder.positional_embedding, pos[: cris.text_encoder.context_length]
    )
    assert _assert_loaded(cris.text_encoder, text_keys, '') > 10


def test_export_rejects_foreign_checkpoint(tmp_path):
    source = osp.join(str(tmp_path), 'segmentor.pth')
    torch.save(dict(state_dict={'decode_head.conv.weight': torch.zeros(1)}), source)
    with pytest.raises(ValueError, match='decode_head.conv.weight'):
        load_script(EXPORT_TOOL).main([source, osp.join(str(tmp_path), 'out.pth')])
