"""RISCLIPSegmentor on a tiny random CLIP: freezing, identity init, ablations, stages."""

import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.models.segmentors.risclip import lockstep_schedule
from refseg.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SCHEDULES = osp.join(REPO, 'configs', '_base_', 'schedules')
# Stage 2's optimizer settings are in its config (the schedule is stage 1's).
STAGE2_CONFIG = osp.join(REPO, 'configs', 'risclip', 'risclip_vitb_refcoco.py')
SIZE = 64
TEXTS = ['the red dog on the left', 'man', 'a small blue car behind the tree']


def tiny_cfg(**overrides):
    """A RISCLIP with a 4-block ViT (width 32, patch 8) and a 2-block text encoder."""
    cfg = dict(
        type='RISCLIPSegmentor',
        data_preprocessor=dict(
            type='mmseg.SegDataPreProcessor',
            size=(SIZE, SIZE),
            mean=[122.7709, 116.7460, 104.0937],
            std=[68.5005, 66.6322, 70.3232],
            bgr_to_rgb=True,
        ),
        context_length=12,
        backbone=dict(
            type='CLIPVisionTransformer',
            input_resolution=32,
            patch_size=8,
            width=32,
            layers=4,
            heads=4,
            output_dim=16,
        ),
        text_encoder=dict(
            type='CLIPTextTransformer', context_length=12, width=32, layers=2, heads=4, embed_dim=16
        ),
        cfe=dict(type='CFE', shared_dims=16, num_heads=2, bottleneck_dims=8, num_fused=2),
        ske=dict(type='SKE', num_heads=2, num_layers=2),
        feature_levels=(1, 3),
        decode_head=dict(
            type='RISCLIPHead',
            image_dims=32,
            embed_dims=16,
            num_levels=2,
            decoder=dict(channels=16, mid_channels=8, stem_channels=8),
        ),
    )
    cfg.update(overrides)
    return cfg


def build(**overrides):
    init_default_scope('refseg')
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(**overrides))
    model.init_weights()
    return model


def batch(num=2, seed=1):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(num, 3, SIZE, SIZE, generator=generator)
    samples = []
    for i in range(num):
        sample = SegDataSample(
            metainfo=dict(
                text=TEXTS[i % len(TEXTS)], img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)
            )
        )
        mask = torch.zeros(1, SIZE, SIZE)
        mask[:, 8 * i : 8 * i + 24, 16:48] = 1
        sample.gt_sem_seg = PixelData(data=mask)
        samples.append(sample)
    return images, samples


def optim_wrapper_for(model, schedule):
    """The schedule's optim wrapper, as OptimWrapper: AmpOptimWrapper needs CUDA."""
    cfg = copy.deepcopy(Config.fromfile(osp.join(SCHEDULES, schedule)).optim_wrapper)
    cfg.type = 'OptimWrapper'
    cfg.pop('dtype')
    return build_optim_wrapper(model, cfg)


def train_step(model, wrapper, seed=1):
    """One optimiser step; returns the log vars and the names of parameters with a grad."""
    model.train()
    images, samples = batch(seed=seed)
    loss, log_vars = model.parse_losses(model.loss(images, samples))
    wrapper.backward(loss)
    with_grad = {name for name, param in model.named_parameters() if param.grad is not None}
    wrapper.step()
    wrapper.zero_grad()
    return log_vars, with_grad


def clip_state(model):
    return {
        k: v.clone()
        for k, v in model.state_dict().items()
        if k.startswith(('backbone.', 'text_encoder.'))
    }


def test_grounding_at_init_is_frozen_clip_patch_sentence_cosine():
    model = build().eval()
    images, samples = batch(3)
    with torch.no_grad():
        logits = model.decode_head(model.extract_feat(images, samples))
        # Independently: stock CLIP forwards (no lockstep, no adapters).
        patches = model.backbone(images)['patch_tokens']  # (B, h*w, E)
        sent = model.text_encoder(model.tokenize(TEXTS))['sent_feat']  # (B, E)
    cosine = F.cosine_similarity(patches, sent[:, None], dim=-1).reshape(3, 1, 8, 8)
    assert logits.shape == (3, 1, 8, 8)
    torch.testing.assert_close(logits, 10 * cosine - 2, rtol=1e-4, atol=1e-4)


def test_train_step_leaves_clip_untouched_and_trains_stage1_parts():
    model = build()
    before = clip_state(model)
    grounding_before = model.decode_head.grounding.bias.item()
    up_before = model.cfe.image_adapters[0].up.weight.clone()
    wrapper = optim_wrapper_for(model, 'risclip_stage1_60k.py')
    log_vars, with_grad = train_step(model, wrapper)
    assert {'loss', 'decode.loss_focal', 'decode.loss_dice', 'decode.iou'} <= set(log_vars)
    assert not model.backbone.training and not model.text_encoder.training
    assert model.cfe.training and model.decode_head.training
    for name, param in model.named_parameters():
        if name.startswith(('backbone.', 'text_encoder.')):
            assert not param.requires_grad and name not in with_grad, name
        else:
            # Every trainable parameter is in the graph: DDP finds no unused ones.
            assert param.requires_grad and name in with_grad, name
    for key, value in clip_state(model).items():
        assert torch.equal(value, before[key]), key
    assert model.decode_head.grounding.bias.item() != grounding_before
    # The earliest adapter is reached through every frozen block above it.
    assert not torch.equal(model.cfe.image_adapters[0].up.weight, up_before)
    decay = {
        id(p): group['weight_decay']
        for group in wrapper.optimizer.param_groups
        for p in group['params']
    }
    assert decay[id(model.decode_head.grounding.log_scale)] == 0
    assert decay[id(model.ske.layers[0].cross_norm_image.weight)] == 0
    assert decay[id(model.ske.layers[0].mlp_image[0].weight)] == pytest.approx(5e-3)


@pytest.mark.parametrize(
    'overrides, absent',
    [
        (dict(cfe=None), ['cfe.']),
        (
            dict(
                cfe=dict(type='CFE', shared_dims=16, num_heads=2, num_fused=2, use_adapters=False)
            ),
            ['cfe.image_adapters', 'cfe.text_adapters'],
        ),
        (dict(cfe=dict(type='CFE', shared_dims=16, num_heads=2, num_fused=0)), ['cfe.cross_attns']),
        (dict(ske=None), ['ske.']),
        (dict(cfe=None, ske=None), ['cfe.', 'ske.']),
        (dict(ske_image_tokens='patches', ske_text_tokens='eot'), []),
        (
            dict(
                cfe=dict(
                    type='CFE',
                    shared_dims=16,
                    num_heads=2,
                    num_fused=2,
                    gate='tanh',
                    sequential=True,
                )
            ),
            [],
        ),
    ],
)
def test_each_part_switches_off(overrides, absent):
    model = build(**overrides)
    names = [name for name, _ in model.named_parameters()]
    for prefix in absent:
        assert not any(name.startswith(prefix) for name in names), prefix
    images, samples = batch()
    with torch.no_grad():
        logits = model.decode_head(model.extract_feat(images, samples))
        patches = model.backbone(images)['patch_tokens']
        sent = model.text_encoder(model.tokenize(TEXTS[:2]))['sent_feat']
    # Whatever is switched on starts as the identity.
    cosine = F.cosine_similarity(patches, sent[:, None], dim=-1).reshape(2, 1, 8, 8)
    torch.testing.assert_close(logits, 10 * cosine - 2, rtol=1e-4, atol=1e-4)
    model.train()
    model.parse_losses(model.loss(images, samples))[0].backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == param.requires_grad, name


def test_lockstep_schedule_for_more_image_than_text_blocks():
    # 6 image and 3 text blocks, last two of each fused (an L/14-like 2:1 depth ratio).
    steps = list(lockstep_schedule(6, 3, ((4, 1), (5, 2))))
    assert steps == [
        (None, 0, None),
        (0, None, None),
        (1, None, None),
        (2, None, None),
        (3, None, None),
        (4, 1, 0),
        (5, 2, 1),
    ]
    steps = list(lockstep_schedule(6, 3, ((1, 0), (3, 1))))
    assert steps == [
        (0, None, None),
        (1, 0, 0),
        (2, None, None),
        (3, 1, 1),
        (None, 2, None),
        (4, None, None),
        (5, None, None),
    ]
    assert list(lockstep_schedule(2, 1)) == [(None, 0, None), (0, None, None), (1, None, None)]


@pytest.mark.parametrize('block_pairs', [None, [(1, 0), (3, 1)]])
def test_l14_like_pairing_trains(block_pairs):
    model = build(
        text_encoder=dict(
            type='CLIPTextTransformer', context_length=12, width=32, layers=2, heads=4, embed_dim=16
        ),
        cfe=dict(type='CFE', shared_dims=16, num_heads=2, num_fused=2, block_pairs=block_pairs),
    )
    expected = ((2, 0), (3, 1)) if block_pairs is None else ((1, 0), (3, 1))
    assert model.cfe.block_pairs == expected
    seen = []
    for index, cross_attn in enumerate(model.cfe.cross_attns):
        cross_attn.register_forward_hook(lambda module, args, out, index=index: seen.append(index))
    wrapper = optim_wrapper_for(model, 'risclip_stage1_60k.py')
    train_step(model, wrapper)
    assert seen == [0, 1]
    for cross_attn in model.cfe.cross_attns:
        assert cross_attn.shared_to_image.weight.abs().sum() > 0


def test_stage2_loads_stage1_weights_and_trains_only_the_decoder(tmp_path):
    stage1 = build()
    train_step(stage1, optim_wrapper_for(stage1, 'risclip_stage1_60k.py'))
    checkpoint = str(tmp_path / 'stage1.pth')
    torch.save(dict(state_dict=stage1.state_dict()), checkpoint)

    stage2 = build(stage=2)
    load_checkpoint(stage2, checkpoint, map_location='cpu', strict=False)
    stage1_state = stage1.state_dict()
    for key, value in stage2.state_dict().items():
        if not key.startswith('decode_head.decoder.'):
            assert torch.equal(value, stage1_state[key]), key
    # The decoder starts as a zero residual on stage 1's grounding logits.
    images, samples = batch()
    stage1.eval(), stage2.eval()
    with torch.no_grad():
        grounding = stage1.decode_head(stage1.extract_feat(images, samples))
        torch.testing.assert_close(
            stage2.decode_head(stage2.extract_feat(images, samples)),
            F.interpolate(grounding, size=(16, 16), mode='bilinear', align_corners=False),
        )

    wrapper = optim_wrapper_for(stage2, STAGE2_CONFIG)
    frozen_before = {
        k: v.clone()
        for k, v in stage2.state_dict().items()
        if not k.startswith('decode_head.decoder.')
    }
    _, with_grad = train_step(stage2, wrapper)
    assert not stage2.cfe.training and not stage2.ske.training
    for name, param in stage2.named_parameters():
        in_decoder = name.startswith('decode_head.decoder.')
        assert param.requires_grad == in_decoder, name
        assert (name in with_grad) == in_decoder, name
    for key, value in stage2.state_dict().items():
        if key in frozen_before:
            assert torch.equal(value, frozen_before[key]), key


def test_stage2_finetune_gives_stage1_parts_a_tenth_of_the_lr():
    model = build(stage=2, finetune_stage1=True)
    wrapper = optim_wrapper_for(model, STAGE2_CONFIG)
    lrs = {id(p): group['lr'] for group in wrapper.optimizer.param_groups for p in group['params']}
    base_lr = wrapper.optimizer.defaults['lr']
    assert lrs[id(model.cfe.cross_attns[0].shared_to_image.weight)] == pytest.approx(0.1 * base_lr)
    assert lrs[id(model.ske.layers[0].mlp_text[2].weight)] == pytest.approx(0.1 * base_lr)
    assert lrs[id(model.decode_head.grounding.bias)] == pytest.approx(0.1 * base_lr)
    assert lrs[id(model.decode_head.decoder.residual.weight)] == pytest.approx(base_lr)
    _, with_grad = train_step(model, wrapper)
    assert 'cfe.cross_attns.0.shared_to_image.weight' in with_grad
    assert 'decode_head.grounding.bias' in with_grad
    assert not any(name.startswith('backbone.') for name in with_grad)


def test_predict_writes_masks_at_original_size():
    model = build().eval()
    images, samples = batch()
    for sample in samples:
        sample.set_metainfo(dict(ori_shape=(40, 50)))
    results = model.predict(images, samples)
    assert results[0].pred_sem_seg.data.shape == (1, 40, 50)
    assert results[0].seg_logits.data.shape == (1, 40, 50)
    # The tensor-only path (tracing, FLOPs) gives the head's patch-grid logits.
    with torch.no_grad():
        logits = model.forward_tokens(images, model.tokenize(TEXTS[:2]))
    assert logits.shape == (2, 1, 8, 8)


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match='stage must be 1 or 2'):
        build(stage=3)
    with pytest.raises(ValueError, match='contradicts'):
        build(stage=2, decode_head=dict(tiny_cfg()['decode_head'], stage=1))
    with pytest.raises(ValueError, match='feature_levels'):
        build(feature_levels=(1, 4))
    with pytest.raises(ValueError, match='ske_text_tokens'):
        build(ske_text_tokens='cls')
