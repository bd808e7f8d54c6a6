import os.path as osp
import warnings

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

import refseg.apis.inference as inference
from refseg.apis import (
    CheckpointMismatchError,
    RefSegPrediction,
    inference_refseg,
    init_model,
    load_image,
)
from refseg.models.segmentors.ref_segmentor import RefSegmentor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')
TEXTS = ['the red square', 'a blue circle on the left', 'the big green triangle']


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    # Tiny models run fastest on one thread, and much faster when the cores are busy.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def model(one_thread):
    torch.manual_seed(0)
    return init_model(TINY_CONFIG)


@pytest.fixture(scope='module')
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(40, 72, 3), dtype=np.uint8)


def test_init_model_drops_pretrained_and_loading_steps():
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.model.backbone.init_cfg = dict(type='CLIPPretrained', checkpoint='/no/such/RN50.pt')
    cfg.model.text_encoder.init_cfg = [
        dict(type='CLIPPretrained', checkpoint='/no/such/RN50.pt'),
        dict(type='Constant', val=0, layer='LayerNorm'),
    ]
    model = init_model(cfg)
    assert model.backbone.init_cfg is None
    assert model.text_encoder.init_cfg == [dict(type='Constant', val=0, layer='LayerNorm')]
    assert not model.training
    steps = [type(t).__name__ for t in model.test_pipeline.transforms]
    assert steps == ['LetterBox', 'PackRefSegInputs']
    assert model.dataset_meta['classes'] == ('background', 'object')


def test_prediction_per_expression_at_original_size(model, image):
    preds = inference_refseg(model, image, TEXTS)
    assert [p.text for p in preds] == TEXTS
    for pred in preds:
        assert isinstance(pred, RefSegPrediction)
        assert pred.mask.shape == pred.prob.shape == image.shape[:2]
        assert pred.mask.dtype == np.bool_ and pred.prob.dtype == np.float32
        assert np.array_equal(pred.mask, pred.prob > pred.threshold)
    assert preds[0].threshold == pytest.approx(model.decode_head.threshold)
    single = inference_refseg(model, image, TEXTS[1])
    assert isinstance(single, RefSegPrediction)
    np.testing.assert_allclose(single.prob, preds[1].prob, atol=1e-5)


def test_threshold_override(model, image):
    pred = inference_refseg(model, image, TEXTS[0], threshold=0.9)
    assert pred.threshold == 0.9
    assert np.array_equal(pred.mask, pred.prob > 0.9)


def test_image_encoded_once_for_all_expressions(model, image):
    batch_sizes = []
    handle = model.backbone.register_forward_hook(
        lambda module, args, out: batch_sizes.append(args[0].shape[0])
    )
    try:
        inference_refseg(model, image, TEXTS)
    finally:
        handle.remove()
    assert batch_sizes == [1]


def test_encode_once_matches_image_batch(model, image):
    shared = inference_refseg(model, image, TEXTS)
    batched = [inference_refseg(model, image, text) for text in TEXTS]
    for a, b in zip(shared, batched):
        np.testing.assert_allclose(a.prob, b.prob, atol=1e-4)


def test_model_never_changes_under_its_caller(model, image):
    backbone, cls = model.backbone, type(model)
    modules = dict(model.named_modules())
    inference_refseg(model, image, TEXTS)
    assert model.backbone is backbone and type(model) is cls
    assert dict(model.named_modules()) == modules


def test_encode_accepts_cached_image_features(model, image):
    inputs, _ = inference.prepare_inputs(model, image)
    token_ids = model.tokenize(TEXTS[:1])
    with torch.no_grad():
        fresh = model.encode(inputs, token_ids)
        cached = model.encode(inputs, token_ids, img_feats=fresh['img_feats'])
    torch.testing.assert_close(cached['vis_feats'], fresh['vis_feats'])


def test_predict_batch_texts_groups_per_image(model, image):
    inputs, sample = inference.prepare_inputs(model, image)
    other, other_sample = inference.prepare_inputs(model, image[::-1].copy())
    with torch.no_grad():
        groups = model.predict_batch_texts(
            torch.cat([inputs, other]), [sample, other_sample], [TEXTS, TEXTS[:1]]
        )
        alone = model.predict_texts(other, other_sample, TEXTS[:1])
    assert [len(g) for g in groups] == [3, 1]
    assert [s.text for s in groups[0]] == TEXTS
    # Batched and single convolutions may take different CPU kernels: float noise only.
    torch.testing.assert_close(
        groups[1][0].seg_logits.data, alone[0].seg_logits.data, atol=1e-4, rtol=1e-3
    )
    with pytest.raises(ValueError, match='one image'):
        model.predict_texts(torch.cat([inputs, other]), sample, TEXTS)


def test_path_array_and_pil_inputs_agree(model, image, tmp_path):
    path = str(tmp_path / 'img.png')
    mmcv.imwrite(image, path)
    from_path = inference_refseg(model, path, TEXTS[0])
    from_array = inference_refseg(model, image, TEXTS[0])
    from_pil = inference_refseg(model, Image.fromarray(image[..., ::-1]), TEXTS[0])
    np.testing.assert_allclose(from_path.prob, from_array.prob, atol=1e-6)
    np.testing.assert_allclose(from_pil.prob, from_array.prob, atol=1e-6)
    grey = inference_refseg(model, image[..., 0], TEXTS[0])
    assert grey.mask.shape == image.shape[:2]


def test_missing_and_unreadable_images_are_named(model, tmp_path):
    missing = str(tmp_path / 'nope.jpg')
    with pytest.raises(FileNotFoundError, match='nope.jpg'):
        inference_refseg(model, missing, TEXTS[0])
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'this is not a jpeg')
    with pytest.raises(ValueError, match='broken.jpg'):
        inference_refseg(model, str(broken), TEXTS[0])


def test_bad_arrays_are_rejected():
    with pytest.raises(TypeError, match='uint8'):
        load_image(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r'\(8, 8, 4\)'):
        load_image(np.zeros((8, 8, 4), np.uint8))
    with pytest.raises(TypeError, match='path, a numpy array'):
        load_image(42)


@pytest.mark.parametrize('texts', ['', '   ', ['ok', '']])
def test_empty_expression_is_an_error(model, image, texts):
    with pytest.raises(ValueError, match='expression is empty'):
        inference_refseg(model, image, texts)


def test_no_expression_is_an_error(model, image):
    with pytest.raises(ValueError, match='no expression'):
        inference_refseg(model, image, [])


def test_long_expression_is_truncated_with_a_warning(model, image):
    long_text = 'the small dog that sits next to the red chair under the big table'
    with pytest.warns(UserWarning, match='truncated') as record:
        pred = inference_refseg(model, image, long_text)
    assert any(long_text in str(w.message) for w in record)
    assert pred.mask.shape == image.shape[:2]


def test_non_ascii_expression(model, image):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # may be truncated at context length 8
        pred = inference_refseg(model, image, 'café crème à gauche 猫')
    assert pred.mask.shape == image.shape[:2]
    assert np.isfinite(pred.prob).all()


def test_checkpoint_round_trip(model, image, tmp_path):
    path = str(tmp_path / 'tiny.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=('background', 'object'))),
        ),
        path,
    )
    torch.manual_seed(123)  # different random init, replaced by the checkpoint
    loaded = init_model(TINY_CONFIG, path)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    np.testing.assert_allclose(
        inference_refseg(loaded, image, TEXTS[0]).prob,
        inference_refseg(model, image, TEXTS[0]).prob,
        atol=1e-6,
    )


def test_checkpoint_mismatch_names_the_keys(model, tmp_path):
    weights = dict(model.state_dict())
    del weights['neck.aggr.conv.weight']
    weights['neck.extra.weight'] = torch.zeros(1)
    weights['decode_head.projector.txt.bias'] = torch.zeros(3)
    path = str(tmp_path / 'bad.pth')
    torch.save(dict(state_dict=weights), path)
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(TINY_CONFIG, path)
    message = str(info.value)
    assert 'bad.pth' in message
    assert 'missing keys: neck.aggr.conv.weight' in message
    assert 'unexpected keys: neck.extra.weight' in message
    assert 'decode_head.projector.txt.bias: checkpoint (3,)' in message
    assert info.value.missing == ['neck.aggr.conv.weight']
    with pytest.warns(UserWarning, match='fitting weights only'):
        loose = init_model(TINY_CONFIG, path, strict=False)
    assert torch.equal(
        loose.state_dict()['neck.f2_cat.conv.weight'], weights['neck.f2_cat.conv.weight']
    )


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        init_model(TINY_CONFIG, str(tmp_path / 'absent.pth'))


def test_risclip_batches_the_image(image):
    """RISCLIP's image encoder reads the text, so each expression gets its own pass."""
    risclip = init_model(osp.join(ROOT, 'configs', 'synthetic', 'risclip_tiny_synthetic.py'))
    assert risclip.image_encoder_reads_text and not RefSegmentor.image_encoder_reads_text
    with pytest.raises(ValueError, match='img_feats'):
        risclip.encode(
            torch.zeros(1, 3, 8, 8), torch.zeros(1, 4, dtype=torch.long), img_feats=torch.zeros(1)
        )
    preds = inference_refseg(risclip, image, TEXTS[:2])
    for text, pred in zip(TEXTS[:2], preds):
        assert pred.mask.shape == image.shape[:2]
        np.testing.assert_allclose(
            pred.prob, inference_refseg(risclip, image, text).prob, atol=1e-5
        )
