"""The shared contract of referring heads (BaseRefHead)."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.models.decode_heads.base_ref_head import BaseRefHead


class ConvHead(BaseRefHead):
    """A 1x1 conv on vis_feats: the smallest head the contract allows."""

    def __init__(self, **kwargs):
        super().__init__(
            loss_decode=kwargs.pop(
                'loss_decode', dict(type='SigmoidFocalLoss', gamma=0.0, alpha=None)
            ),
            **kwargs,
        )
        self.conv = nn.Conv2d(4, 1, 1)

    def forward(self, feats):
        return self.conv(feats['vis_feats'])


def samples(*masks):
    out = []
    for mask in masks:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=mask)
        out.append(sample)
    return out


def test_loss_and_predict_follow_the_contract():
    torch.manual_seed(0)
    head = ConvHead(threshold=0.0)
    assert head.threshold == 0.0
    feats = dict(vis_feats=torch.randn(2, 4, 6, 6))
    masks = (torch.rand(2, 1, 6, 6) > 0.5).to(torch.uint8)
    losses = head.loss(feats, samples(*masks))
    expected = F.binary_cross_entropy_with_logits(head(feats), masks.float())
    torch.testing.assert_close(losses['loss_focal'], expected)
    losses['loss_focal'].backward()
    assert head.conv.weight.grad.abs().sum() > 0
    torch.testing.assert_close(head.predict(feats, [{}] * 2), head(feats))


def test_bad_targets_and_settings_are_named():
    head = ConvHead(threshold=0.5)
    feats = dict(vis_feats=torch.randn(2, 4, 6, 6))
    with pytest.raises(KeyError, match='data sample 1 has no gt_sem_seg'):
        head.loss(feats, samples(torch.zeros(1, 6, 6)) + [SegDataSample()])
    with pytest.raises(ValueError, match='share a size'):
        head.loss(feats, samples(torch.zeros(1, 6, 6), torch.zeros(1, 6, 7)))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        head.loss(feats, samples(*torch.full((2, 1, 6, 6), 255)))
    with pytest.raises(ValueError, match='override match_target'):
        head.loss(feats, samples(*torch.zeros(2, 1, 12, 12)))
    with pytest.raises(ValueError, match='threshold'):
        ConvHead(threshold=-0.1)
    with pytest.raises(TypeError):
        BaseRefHead(loss_decode=dict(type='BinaryDiceLoss'), threshold=0.5)
