"""RISCLIP building blocks: focal/dice losses, CFE adapters and cross-attention, SKE, head."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.models.adapters.cfe import (CFE, CFEAdapter, CFECrossAttention,
                                        default_block_pairs)
from refseg.models.adapters.ske import SKE, SKELayer
from refseg.models.decode_heads.risclip_head import PatchGrounding, RISCLIPHead
from refseg.models.losses.focal_dice import (BinaryDiceLoss, SigmoidFocalLoss,
                                             sigmoid_focal_loss)


# ------------------------------------------------------------------ losses
def test_focal_matches_textbook_formula_on_binary_targets():
    logits = torch.randn(2, 1, 5, 5)
    target = (torch.rand(2, 1, 5, 5) > 0.5).float()
    prob = logits.sigmoid()
    p_t = torch.where(target > 0, prob, 1 - prob)
    alpha_t = torch.where(target > 0, torch.tensor(0.65), torch.tensor(0.35))
    expected = (-alpha_t * (1 - p_t) ** 2 * torch.log(p_t)).mean()
    loss = SigmoidFocalLoss(alpha=0.65, gamma=2.0, loss_weight=1.75)(logits, target)
    torch.testing.assert_close(loss, 1.75 * expected, rtol=1e-5, atol=1e-6)


def test_focal_soft_target_is_zero_when_prediction_equals_target():
    target = torch.rand(3, 1, 4, 4) * 0.8 + 0.1
    loss = sigmoid_focal_loss(torch.logit(target), target, gamma=2.0, alpha=0.65)
    assert loss.abs().max() < 1e-6
    # ... and gamma=0 without alpha is plain BCE.
    logits = torch.randn(3, 1, 4, 4)
    torch.testing.assert_close(
        sigmoid_focal_loss(logits, target, gamma=0.0, alpha=None),
        F.binary_cross_entropy_with_logits(logits, target, reduction='none'))


def test_dice_is_per_sample():
    big = torch.full((1, 1, 8, 8), 20.0)  # sigmoid ~ 1
    logits = torch.cat([big, -big])
    target = torch.cat([torch.ones(1, 1, 8, 8), torch.zeros(1, 1, 8, 8)])
    # Both samples are predicted exactly: per-sample dice (smooth 1) is ~0 for each.
    assert BinaryDiceLoss()(logits, target) < 1e-3
    # Only the first sample wrong: its dice is ~1, the other's 0, the mean ~0.5 (a dice
    # over the whole batch would be ~1).
    wrong = BinaryDiceLoss()(logits, torch.zeros_like(target))
    assert 0.45 < wrong < 0.55


def test_losses_reject_bad_targets():
    logits = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match='same shape'):
        SigmoidFocalLoss()(logits, torch.zeros(1, 1, 4, 5))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        BinaryDiceLoss()(logits, torch.full((1, 1, 4, 4), 255.))


# --------------------------------------------------------------------- CFE
def test_cfe_adapter_starts_at_zero_update_with_nonzero_grad():
    adapter = CFEAdapter(16, bottleneck_dims=4)
    tokens = torch.randn(2, 5, 16)
    update = adapter(tokens)
    assert torch.count_nonzero(update) == 0
    (update * torch.randn_like(update)).sum().backward()
    assert adapter.up.weight.grad.abs().sum() > 0
    assert adapter.down.weight.std() > 0


@pytest.mark.parametrize('gate', ['zero_init', 'tanh'])
def test_cfe_cross_attention_is_identity_at_init_and_trains(gate):
    layer = CFECrossAttention(16, 12, shared_dims=8, num_heads=2, gate=gate)
    image, text = torch.randn(2, 5, 16), torch.randn(2, 4, 12)
    pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
    image_out, text_out = layer(image, text, pad)
    torch.testing.assert_close(image_out, image)
    torch.testing.assert_close(text_out, text)
    (image_out.sum() + text_out.sum()).backward()
    trained = layer.shared_to_image.weight if gate == 'zero_init' else layer.image_gate
    assert trained.grad.abs().sum() > 0


def _randomise(module):
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn_like(param) * 0.3)
    return module


def test_cfe_cross_attention_ignores_text_padding():
    layer = _randomise(CFECrossAttention(16, 12, shared_dims=8, num_heads=2))
    image, text = torch.randn(1, 5, 16), torch.randn(1, 4, 12)
    pad = torch.tensor([[False, False, True, True]])
    changed = text.clone()
    changed[:, 2:] = torch.randn(1, 2, 12) * 5
    image_a, _ = layer(image, text, pad)
    image_b, _ = layer(image, changed, pad)
    torch.testing.assert_close(image_a, image_b)
    image_c, _ = layer(image, changed, torch.zeros_like(pad))
    assert not torch.allclose(image_a, image_c)


def test_cfe_cross_attention_sequential_differs_from_simultaneous():
    torch.manual_seed(0)
    simultaneous = _randomise(CFECrossAttention(16, 12, 8, 2))
    sequential = CFECrossAttention(16, 12, 8, 2, sequential=True)
    sequential.load_state_dict(simultaneous.state_dict())
    image, text = torch.randn(1, 5, 16), torch.randn(1, 4, 12)
    pad = torch.zeros(1, 4, dtype=torch.bool)
    image_a, text_a = simultaneous(image, text, pad)
    image_b, text_b = sequential(image, text, pad)
    torch.testing.assert_close(image_a, image_b)
    assert not torch.allclose(text_a, text_b)


def test_cfe_block_pairing():
    # ViT-L/14-like: 24 image, 12 text blocks -> image 18..23 with text 6..11.
    assert default_block_pairs(24, 12, 6) == tuple((18 + k, 6 + k) for k in range(6))
    assert default_block_pairs(12, 12, 0) == ()
    cfe = CFE(16, 12, 6, 3, shared_dims=8, num_heads=2, num_fused=2)
    assert cfe.block_pairs == ((4, 1), (5, 2)) and len(cfe.cross_attns) == 2
    assert len(cfe.image_adapters) == 12 and len(cfe.text_adapters) == 6
    cfe = CFE(16, 12, 6, 3, 8, 2, block_pairs=[(1, 0), (3, 1), (5, 2)], use_adapters=False)
    assert cfe.adapter('image', 0, 0) is None and len(cfe.cross_attns) == 3
    with pytest.raises(ValueError, match='increase'):
        CFE(16, 12, 6, 3, 8, 2, block_pairs=[(3, 1), (2, 2)])
    with pytest.raises(ValueError, match='out of range'):
        CFE(16, 12, 6, 3, 8, 2, block_pairs=[(6, 1)])
    with pytest.raises(ValueError, match='num_fused'):
        CFE(16, 12, 6, 3, 8, 2, num_fused=4)
    with pytest.raises(ValueError, match='gate'):
        CFECrossAttention(16, 12, 8, 2, gate='sigmoid')


# --------------------------------------------------------------------- SKE
def test_ske_is_identity_at_init_and_every_part_gets_gradient():
    ske = SKE(16, num_heads=2, num_layers=2)
    image, text = torch.randn(2, 5, 16), torch.randn(2, 4, 16)
    pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
    image_out, text_out = ske(image, text, pad)
    torch.testing.assert_close(image_out, image)
    torch.testing.assert_close(text_out, text)
    (image_out * torch.randn_like(image_out)).sum().backward(retain_graph=True)
    (text_out * torch.randn_like(text_out)).sum().backward()
    last = ske.layers[-1]
    for zeroed in (last.cross_attn_image.out_proj, last.cross_attn_text.out_proj,
                   last.self_attn_image.out_proj, last.self_attn_text.out_proj,
                   last.mlp_image[2], last.mlp_text[2]):
        assert zeroed.weight.grad.abs().sum() > 0


def test_ske_layer_masks_text_padding():
    layer = _randomise(SKELayer(16, num_heads=2, mlp_ratio=4.0))
    assert layer.mlp_image[0].out_features == 64
    image, text = torch.randn(1, 5, 16), torch.randn(1, 4, 16)
    pad = torch.tensor([[False, False, True, True]])
    changed = text.clone()
    changed[:, 2:] += 3
    image_a, text_a = layer(image, text, pad)
    image_b, text_b = layer(image, changed, pad)
    torch.testing.assert_close(image_a, image_b)
    torch.testing.assert_close(text_a[:, :2], text_b[:, :2])


# -------------------------------------------------------------------- head
def test_patch_grounding_is_scaled_cosine():
    grounding = PatchGrounding()
    patch_map, sent = torch.randn(2, 8, 3, 4), torch.randn(2, 8)
    cosine = F.cosine_similarity(patch_map, sent[:, :, None, None], dim=1)
    torch.testing.assert_close(grounding(patch_map, sent), (10 * cosine - 2)[:, None])
    frozen = PatchGrounding(scale_init=1.0, bias_init=0.0, learnable=False)
    assert not list(frozen.parameters())
    torch.testing.assert_close(frozen(patch_map, sent), cosine[:, None])


def _head_feats(batch=2, size=32, grid=4):
    return dict(vis_feats=torch.randn(batch, 8, grid, grid), sent_feat=torch.randn(batch, 8),
                img_feats=(torch.randn(batch, 16, grid, grid), ),
                inputs=torch.randn(batch, 3, size, size))


def _samples(masks):
    samples = []
    for mask in masks:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=mask[None])
        samples.append(sample)
    return samples


def test_head_stage1_patch_targets():
    feats = _head_feats()
    mask = torch.zeros(32, 32)
    mask[:12, :12] = 1  # patch (0, 0) full, (0, 1) and (1, 0) half, (1, 1) a quarter
    head = RISCLIPHead(16, 8, 1, stage=1)
    assert not hasattr(head, 'decoder')
    soft = head._patch_target(mask[None, None], (4, 4))[0, 0]
    torch.testing.assert_close(soft[:2, :2], torch.tensor([[1.0, 0.5], [0.5, 0.25]]))
    head.patch_target = 'binary'
    assert head._patch_target(mask[None, None], (4, 4))[0, 0, :2, :2].tolist() == \
        [[1.0, 1.0], [1.0, 0.0]]
    head.patch_target = 'any'
    assert head._patch_target(mask[None, None], (4, 4)).sum() == 4
    losses = head.loss(feats, _samples([mask, mask]))
    assert set(losses) == {'loss_focal', 'loss_dice', 'iou'}
    assert head.predict(feats, [{}, {}]).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match='patch_target'):
        RISCLIPHead(16, 8, 1, patch_target='bicubic')
    with pytest.raises(ValueError, match='distinct loss_name'):
        RISCLIPHead(16, 8, 1, loss_decode=[dict(type='BinaryDiceLoss')] * 2)
    bce_only = RISCLIPHead(16, 8, 1, loss_decode=dict(type='SigmoidFocalLoss', gamma=0.0,
                                                      alpha=None, loss_name='loss_bce'))
    assert set(bce_only.loss(feats, _samples([mask, mask]))) == {'loss_bce', 'iou'}


def test_head_stage2_decoder_starts_from_upsampled_grounding():
    feats = _head_feats()
    head = RISCLIPHead(16, 8, 1, stage=2,
                       decoder=dict(channels=8, mid_channels=8, stem_channels=4))
    head.init_weights()
    logits = head(feats)
    assert logits.shape == (2, 1, 8, 8)
    grounding = head.grounding(feats['vis_feats'], feats['sent_feat'])
    torch.testing.assert_close(
        logits, F.interpolate(grounding, size=(8, 8), mode='bilinear', align_corners=False))
    masks = [torch.ones(32, 32), torch.zeros(32, 32)]
    head.loss(feats, _samples(masks))['loss_dice'].backward()
    assert head.decoder.residual.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='input size'):
        head.loss(feats, _samples([torch.ones(16, 16)] * 2))
