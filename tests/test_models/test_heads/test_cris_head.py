import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.registry import MODELS

init_default_scope('refseg')

DIM, TEXT_DIM, LENGTH = 16, 12, 5


def tiny_head(decoder=True, projector='TextPixelProjector', **kwargs):
    torch.manual_seed(0)
    projector_cfg = dict(type=projector, in_channels=DIM, channels=8)
    if projector == 'TextPixelProjector':
        projector_cfg['text_channels'] = TEXT_DIM
    decoder_cfg = (
        dict(type='VLTransformerDecoder', num_layers=1, embed_dims=DIM, num_heads=2, ffn_dims=32)
        if decoder
        else None
    )
    head = MODELS.build(
        dict(
            type='CRISHead', in_channels=DIM, decoder=decoder_cfg, projector=projector_cfg, **kwargs
        )
    )
    head.init_weights()
    return head


def feats(batch=2, side=4):
    pad_mask = torch.zeros(batch, LENGTH, dtype=torch.bool)
    pad_mask[:, -2:] = True
    return dict(
        vis_feats=torch.randn(batch, DIM, side, side),
        word_feats=torch.randn(batch, LENGTH, DIM),
        pad_mask=pad_mask,
        sent_feat=torch.randn(batch, TEXT_DIM),
    )


def samples(masks):
    out = []
    for mask in masks:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=mask[None])
        out.append(sample)
    return out


def test_defaults_follow_the_paper():
    with torch.device('meta'):
        head = MODELS.build(dict(type='CRISHead'))
    assert head.threshold == 0.35 and head.in_channels == 512
    assert len(head.decoder.layers) == 3
    assert head.projector.kernel_size == 3 and head.projector.txt.in_features == 1024
    assert [type(loss).__name__ for loss in head.loss_decode] == ['CrossEntropyLoss']


@pytest.mark.parametrize('decoder', [True, False])
@pytest.mark.parametrize('projector', ['TextPixelProjector', 'ConvProjector'])
def test_forward_shapes(decoder, projector):
    head = tiny_head(decoder=decoder, projector=projector)
    logits = head(feats(side=4))
    assert logits.shape == (2, 1, 16, 16)
    assert (head.decoder is None) != decoder


def test_loss_is_bce_on_nearest_resized_soft_targets():
    head = tiny_head().eval()  # no dropout: two forwards agree
    inputs = feats(side=4)
    masks = torch.rand(2, 64, 64)  # soft, as from the bilinear letterbox
    losses = head.loss(inputs, samples(masks), train_cfg=None)
    assert set(losses) == {'loss_ce'}
    logits = head(inputs)
    # nearest from 64 to 16 samples input pixels 0, 4, 8, ...
    target = masks[:, ::4, ::4]
    expected = F.binary_cross_entropy_with_logits(logits[:, 0], target)
    torch.testing.assert_close(losses['loss_ce'], expected)


def test_target_sampling_uses_pixel_4i():
    """Only the pixels (4i, 4j) reach the loss: a mask that is 1 everywhere else
    gives the same loss as an empty mask."""
    head = tiny_head().eval()
    inputs = feats(side=4)
    off_grid = torch.ones(2, 64, 64)
    off_grid[:, ::4, ::4] = 0
    a = head.loss(inputs, samples(off_grid), train_cfg=None)['loss_ce']
    b = head.loss(inputs, samples(torch.zeros(2, 64, 64)), train_cfg=None)['loss_ce']
    torch.testing.assert_close(a, b)


def test_integer_masks_are_accepted_and_255_is_rejected():
    head = tiny_head()
    inputs = feats(side=4)
    masks = torch.zeros(2, 16, 16, dtype=torch.uint8)
    masks[:, 4:8, 4:8] = 1
    loss = head.loss(inputs, samples(masks), train_cfg=None)['loss_ce']
    assert torch.isfinite(loss)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        head.loss(inputs, samples(masks * 255), train_cfg=None)


def test_predict_returns_raw_logits():
    head = tiny_head().eval()
    inputs = feats(side=4)
    with torch.no_grad():
        logits = head.predict(inputs, [dict(img_shape=(64, 64))] * 2, test_cfg=None)
        torch.testing.assert_close(logits, head(inputs))
    assert logits.shape == (2, 1, 16, 16)


def test_clear_errors():
    head = tiny_head()
    inputs = feats()
    del inputs['pad_mask']
    with pytest.raises(KeyError, match='pad_mask'):
        head(inputs)
    inputs = feats()
    inputs['vis_feats'] = (inputs['vis_feats'],)
    with pytest.raises(ValueError, match='neck'):
        head(inputs)
    inputs = feats()
    inputs['vis_feats'] = inputs['vis_feats'][:, : DIM - 1]
    with pytest.raises(ValueError, match='in_channels=16'):
        head(inputs)
    with pytest.raises(ValueError, match='threshold'):
        tiny_head(threshold=35)
