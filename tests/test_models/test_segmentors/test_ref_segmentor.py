import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.structures import SegDataSample

from refseg.registry import MODELS
from refseg.structures import letterbox_matrix, warp_to_original

TINY = 'configs/synthetic/cris_tiny_synthetic.py'


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(TINY)
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


def _sample(text, ori_shape=(48, 64), size=128):
    sample = SegDataSample()
    sample.set_metainfo(
        dict(
            text=text,
            ori_shape=ori_shape,
            img_shape=(size, size),
            letterbox_matrix=letterbox_matrix(*ori_shape, size),
        )
    )
    return sample


def test_text_changes_prediction_and_override(model):
    inputs = torch.randn(2, 3, 128, 128)
    inputs[1] = inputs[0]
    samples = [_sample('the red circle'), _sample('the big blue square')]
    with torch.no_grad():
        logits = model.encode_decode(inputs, samples)
        model.text_override = ''
        blind = model.encode_decode(inputs, samples)
        model.text_override = None
    assert logits.shape == (2, 1, 128, 128)
    assert not torch.allclose(logits[0], logits[1])  # same image, other expression
    assert torch.allclose(blind[0], blind[1], atol=1e-5)  # expressions ignored


def test_missing_text_is_a_clear_error(model):
    sample = SegDataSample()
    sample.set_metainfo(dict(ori_shape=(8, 8)))
    with pytest.raises(KeyError, match='no "text"'):
        model.expressions([sample])
    with pytest.raises(ValueError, match='expressions'):
        model.predict(torch.randn(1, 3, 128, 128), None)


def test_predict_maps_back_to_original_pixels(model):
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 128, 128), [_sample('the red circle')])
    assert out[0].pred_sem_seg.data.shape == (1, 48, 64)
    assert out[0].pred_sem_seg.data.dtype == torch.uint8
    assert out[0].seg_logits.data.shape == (1, 48, 64)
    expected = (out[0].seg_logits.data.sigmoid() > model.threshold).to(torch.uint8)
    assert torch.equal(out[0].pred_sem_seg.data, expected)


def test_postprocess_inverts_the_letterbox(model):
    """A box drawn in network space lands on the original pixels it came from."""
    ori_shape, size = (60, 90), 128
    original = np.zeros(ori_shape, np.float32)
    original[10:40, 20:70] = 1
    matrix = letterbox_matrix(*ori_shape, size)
    network = cv2.warpAffine(original, matrix, (size, size), flags=cv2.INTER_NEAREST)
    sample = _sample('x', ori_shape, size)
    out = model.postprocess_probs(torch.from_numpy(network)[None, None], [sample])
    pred = out[0].pred_sem_seg.data[0].numpy()
    assert (pred != original).mean() < 0.02
    assert pred[12:38, 22:68].all() and not pred[45:, :].any()


def test_warp_to_original_matches_cv2():
    # cv2 quantises interpolation weights to 1/32, so compare on a smooth map.
    ys, xs = np.mgrid[0:64, 0:64].astype(np.float32)
    network = np.sin(xs / 7) * np.cos(ys / 5)
    matrix = letterbox_matrix(30, 50, 64)
    expected = cv2.warpAffine(
        network, matrix, (50, 30), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    ours = warp_to_original(torch.from_numpy(network)[None], matrix, (30, 50), mode='bilinear')[
        0
    ].numpy()
    assert np.abs(ours - expected).max() < 5e-3


def test_resize_path_without_letterbox(model):
    sample = SegDataSample()
    sample.set_metainfo(dict(text='a', ori_shape=(20, 30), img_shape=(128, 128)))
    probs = torch.zeros(1, 1, 128, 128)
    probs[..., :, 64:] = 1
    out = model.postprocess_probs(probs, [sample])
    pred = out[0].pred_sem_seg.data[0]
    assert pred.shape == (20, 30)
    assert pred[:, 16:].all() and not pred[:, :14].any()


def test_configured_zero_threshold_is_kept():
    """A threshold of 0.0 marks every pixel with a positive probability."""
    cfg = Config.fromfile(TINY)
    cfg.model.decode_head.threshold = 0.0
    model = MODELS.build(cfg.model)
    assert model.threshold == 0.0
    out = model.postprocess_probs(torch.full((1, 1, 128, 128), 0.2), [_sample('x')])
    assert out[0].pred_sem_seg.data.all()
