"""RISCLIP head: patch grounding and the light decoder."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.models.decode_heads.risclip_head import PatchGrounding, RISCLIPHead


def test_patch_grounding_is_scaled_cosine():
    grounding = PatchGrounding()
    patch_map, sent = torch.randn(2, 8, 3, 4), torch.randn(2, 8)
    cosine = F.cosine_similarity(patch_map, sent[:, :, None, None], dim=1)
    torch.testing.assert_close(grounding(patch_map, sent), (10 * cosine - 2)[:, None])
    frozen = PatchGrounding(scale_init=1.0, bias_init=0.0, learnable=False)
    assert not list(frozen.parameters())
    torch.testing.assert_close(frozen(patch_map, sent), cosine[:, None])


def _head_feats(batch=2, size=32, grid=4):
    return dict(
        vis_feats=torch.randn(batch, 8, grid, grid),
        sent_feat=torch.randn(batch, 8),
        img_feats=(torch.randn(batch, 16, grid, grid),),
        inputs=torch.randn(batch, 3, size, size),
    )


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
    assert head._patch_target(mask[None, None], (4, 4))[0, 0, :2, :2].tolist() == [
        [1.0, 1.0],
        [1.0, 0.0],
    ]
    head.patch_target = 'any'
    assert head._patch_target(mask[None, None], (4, 4)).sum() == 4
    losses = head.loss(feats, _samples([mask, mask]))
    assert set(losses) == {'loss_focal', 'loss_dice', 'iou'}
    assert head.predict(feats, [{}, {}]).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match='patch_target'):
        RISCLIPHead(16, 8, 1, patch_target='bicubic')
    with pytest.raises(ValueError, match='distinct loss_name'):
        RISCLIPHead(16, 8, 1, loss_decode=[dict(type='BinaryDiceLoss')] * 2)
    bce_only = RISCLIPHead(
        16,
        8,
        1,
        loss_decode=dict(type='SigmoidFocalLoss', gamma=0.0, alpha=None, loss_name='loss_bce'),
    )
    assert set(bce_only.loss(feats, _samples([mask, mask]))) == {'loss_bce', 'iou'}


def test_head_stage2_decoder_starts_from_upsampled_grounding():
    feats = _head_feats()
    head = RISCLIPHead(16, 8, 1, stage=2, decoder=dict(channels=8, mid_channels=8, stem_channels=4))
    head.init_weights()
    logits = head(feats)
    assert logits.shape == (2, 1, 8, 8)
    grounding = head.grounding(feats['vis_feats'], feats['sent_feat'])
    torch.testing.assert_close(
        logits, F.interpolate(grounding, size=(8, 8), mode='bilinear', align_corners=False)
    )
    masks = [torch.ones(32, 32), torch.zeros(32, 32)]
    head.loss(feats, _samples(masks))['loss_dice'].backward()
    assert head.decoder.residual.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='input size'):
        head.loss(feats, _samples([torch.ones(16, 16)] * 2))
