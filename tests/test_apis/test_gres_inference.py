"""gRES inference: the no-target score and decision through the API, the inferencer,
its drawings and summary, and the ONNX path (tiny CRIS with a NoTargetHead)."""

import contextlib
import json
import os.path as osp

import numpy as np
import pytest
import torch

from refseg.apis import RefSegInferencer, inference_refseg, init_model

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GRES_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic-gres.py')
TEXTS = ['all the white squares', 'the purple star on the left']


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def model(one_thread):
    torch.manual_seed(0)
    return init_model(GRES_CONFIG)


def square_image():
    img = np.full((48, 64, 3), 30, np.uint8)
    img[10:30, 20:40] = 255
    return img


@contextlib.contextmanager
def decided(model, no_target: bool):
    """The head made certain of its decision through its output bias (+-30 logits)."""
    bias = model.no_target_head.classifier[-1].bias
    kept = bias.detach().clone()
    with torch.no_grad():
        bias.fill_(30.0 if no_target else -30.0)
    try:
        yield
    finally:
        with torch.no_grad():
            bias.copy_(kept)


def test_inference_reports_the_score_and_empties_the_mask(model):
    img = square_image()
    with decided(model, no_target=False):
        kept = inference_refseg(model, img, TEXTS)
        kept_low = inference_refseg(model, img, TEXTS, threshold=0.0)
    with decided(model, no_target=True):
        emptied = inference_refseg(model, img, TEXTS)
        emptied_low = inference_refseg(model, img, TEXTS, threshold=0.0)
    head = model.no_target_head
    model.no_target_head = None  # the same network without the head
    try:
        plain = inference_refseg(model, img, TEXTS)
    finally:
        model.no_target_head = head
    for pred, low, without in zip(kept, kept_low, plain):
        assert pred.no_target is False and pred.no_target_score < 0.01
        assert without.no_target is None and without.no_target_score is None
        np.testing.assert_allclose(pred.prob, without.prob, atol=1e-6)  # the head passes
        assert np.array_equal(pred.mask, pred.prob > pred.threshold)
        assert low.mask.any()  # a target: the threshold decides the mask
    for pred, low in zip(emptied, emptied_low):
        assert pred.no_target is True and pred.no_target_score > 0.99
        assert pred.mask.shape == img.shape[:2] and not pred.mask.any()
        assert pred.prob.max() < 1e-5  # emptied once, by the segmentor
        assert not low.mask.any()  # no threshold brings the mask back


@pytest.fixture(scope='module')
def inferencer(model):
    with pytest.warns(UserWarning, match='no weights given'):
        inferencer = RefSegInferencer(GRES_CONFIG, device='cpu', show_progress=False)
    inferencer.model.load_state_dict(model.state_dict())
    return inferencer


def test_inferencer_dicts_summary_and_drawings(inferencer, tmp_path):
    img = square_image()
    results, legends, texts_drawn = {}, {}, []
    visualizer = inferencer.visualizer
    draw_texts = visualizer.draw_texts

    def recording(texts, *args, **kwargs):
        texts_drawn.append(texts)
        return draw_texts(texts, *args, **kwargs)

    visualizer.draw_texts = recording
    try:
        for no_target in (False, True):
            texts_drawn.clear()
            with decided(inferencer.model, no_target):
                # threshold 1: an empty mask either way, so only the decision differs.
                results[no_target] = inferencer(
                    img,
                    TEXTS,
                    out_dir=str(tmp_path / str(no_target)),
                    return_vis=True,
                    threshold=1.0,
                )
            legends[no_target] = list(texts_drawn)
    finally:
        del visualizer.draw_texts
    for no_target, result in results.items():
        preds = result['predictions'][0]
        assert [p['no_target'] for p in preds] == [no_target] * 2
        assert all((p['no_target_score'] > 0.99) == no_target for p in preds)
        assert not any(p['mask'].any() for p in preds)
        with open(tmp_path / str(no_target) / 'summary.json', encoding='utf-8') as f:
            entries = json.load(f)['results'][0]['expressions']
        assert [e['no_target'] for e in entries] == [no_target] * 2
        assert [e['no_target_score'] for e in entries] == [
            round(p['no_target_score'], 6) for p in preds
        ]
    assert 'prediction: no target (score 1.00)' in legends[True]
    assert 'no target (score 1.00)' in legends[True]  # the label across the image
    assert any(
        t.startswith('prediction: (empty)  (score ') and t.endswith(', no target 0.00)')
        for t in legends[False]
    )
    assert not any('no target (score' in text for text in legends[False])
    # The image part of the drawing: untouched with an empty mask and a target, the
    # label written across its middle when the head says "no target".
    height = 48 * 5  # enlarged to min_width 320
    for no_target, result in results.items():
        drawing = result['visualization'][0][0][:height]
        original = img.repeat(5, axis=0).repeat(5, axis=1)
        changed = (drawing != original).any(axis=2)
        assert changed.any() == no_target
        if no_target:
            assert changed[height // 2 - 5 : height // 2 + 5, 100:220].mean() > 0.3


def test_a_model_without_the_head_reports_nothing_new(tmp_path):
    with pytest.warns(UserWarning, match='no weights given'):
        plain = RefSegInferencer(
            osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py'),
            device='cpu',
            show_progress=False,
        )
    result = plain(square_image(), TEXTS[:1], out_dir=str(tmp_path))
    assert 'no_target' not in result['predictions'][0][0]
    with open(tmp_path / 'summary.json', encoding='utf-8') as f:
        assert 'no_target_score' not in json.load(f)['results'][0]['expressions'][0]


# --------------------------------------------------------------------- ONNX
@pytest.mark.parametrize('bias', [-30.0, 0.0, 30.0])
def test_onnx_export_carries_the_no_target_score(model, tmp_path, bias):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    from refseg.apis.onnx_model import ONNXSegmentor, export_onnx

    out = str(tmp_path / 'gres.onnx')
    bias_param = model.no_target_head.classifier[-1].bias
    kept = bias_param.detach().clone()
    try:
        with torch.no_grad():
            bias_param.fill_(bias)
        export_onnx(model, model.cfg, out, split=True)
        expected = inference_refseg(model, square_image(), TEXTS)
    finally:
        with torch.no_grad():
            bias_param.copy_(kept)
    served = ONNXSegmentor(out)
    assert served.with_no_target_head
    assert served.can_encode_once  # the split graphs carry the output too
    whole = ONNXSegmentor(out)
    whole.meta.pop('image_encoder')  # through the whole graph
    for server in (served, whole):
        got = inference_refseg(server, square_image(), TEXTS)
        for pred, ref in zip(got, expected):
            assert pred.no_target_score == pytest.approx(ref.no_target_score, abs=1e-5)
            assert pred.no_target == ref.no_target
            assert np.array_equal(pred.mask, ref.mask)
            if bias > 0:
                assert pred.no_target and not pred.mask.any()
            elif bias < 0:
                assert pred.no_target is False


def test_stale_gres_onnx_export_is_refused(model, tmp_path, monkeypatch):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    import refseg.apis.onnx_model as onnx_model

    out = str(tmp_path / 'stale.onnx')
    onnx_model.export_onnx(model, model.cfg, out)
    read = onnx_model.read_metadata

    def without_no_target(path):  # as files exported before the no-target output
        meta = read(path)
        meta.pop('no_target_threshold')
        return meta

    monkeypatch.setattr(onnx_model, 'read_metadata', without_no_target)
    with pytest.raises(ValueError, match='no_target_head.*export it again'):
        onnx_model.ONNXSegmentor(out)
