"""ONNX export and the ONNX Runtime segmentor against the PyTorch model (tiny configs)."""

import copy
import os.path as osp

import numpy as np
import pytest
import torch

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from refseg.apis import init_model  # noqa: E402
from refseg.apis.onnx_model import ONNXSegmentor, export_onnx  # noqa: E402
from script_loader import load_script  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRIS_TINY = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')
RISCLIP_TINY = osp.join(ROOT, 'configs', 'synthetic', 'risclip_tiny_synthetic.py')
TEXTS = ['the red square', 'a blue circle on the left', 'the big green triangle']


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def cris(tmp_path_factory):
    """(torch model, path of its whole graph exported by the tool with --split and
    --quantize-int8); the same seed gives both the same random weights."""
    out = str(tmp_path_factory.mktemp('onnx') / 'cris_tiny.onnx')
    torch.manual_seed(0)
    tool = load_script('tools/deployment/export_onnx.py')
    tool.main([CRIS_TINY, '--out', out, '--split', '--quantize-int8'])
    torch.manual_seed(0)
    return init_model(CRIS_TINY), out


def _prepare(model, image, text):
    results = dict(
        img=image,
        img_path=None,
        ori_shape=image.shape[:2],
        img_shape=image.shape[:2],
        seg_fields=[],
        text=text,
    )
    packed = model.test_pipeline(results)
    data = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]), False
    )
    return data['inputs'], data['data_samples'][0]


def _probs(samples):
    return torch.stack([s.seg_logits.data.sigmoid() for s in samples])


def _masks(samples):
    return torch.stack([s.pred_sem_seg.data for s in samples])


@pytest.mark.parametrize('batch', [1, 3])
def test_whole_and_split_graphs_match_torch(cris, batch):
    model, path = cris
    served = init_model(path)
    assert isinstance(served, ONNXSegmentor) and served.can_encode_once
    torch.manual_seed(batch)
    image = torch.randn(batch, 3, 128, 128)
    token_ids = model.tokenize((TEXTS * 2)[:batch])
    with torch.no_grad():
        expected = model.forward_tokens(image, token_ids)
        expected_shared = model.forward_tokens(image[:1].expand(batch, -1, -1, -1), token_ids)
    assert expected.shape == (batch, 1, 32, 32)
    for got, want in (
        (served.forward_tokens(image, token_ids), expected),
        (served.forward_shared_image(image[:1], token_ids), expected_shared),
    ):
        assert got.shape == want.shape
        assert (got.sigmoid() - want.sigmoid()).abs().max() < 1e-4
        threshold = served.threshold
        assert torch.equal(got.sigmoid() > threshold, want.sigmoid() > threshold)


def test_served_predict_and_predict_texts_match_torch(cris):
    model, path = cris
    served = init_model(path)
    assert served.threshold == model.threshold == 0.35
    image = np.random.default_rng(0).integers(0, 256, size=(40, 72, 3), dtype=np.uint8)
    inputs, sample = _prepare(served, image, TEXTS[0])
    torch_inputs, torch_sample = _prepare(model, image, TEXTS[0])
    assert torch.equal(inputs, torch_inputs)

    samples = []
    for text in TEXTS:
        samples.append(copy.deepcopy(torch_sample))
        samples[-1].set_metainfo(dict(text=text))
    with torch.no_grad():
        expected = model.predict(torch_inputs.expand(len(TEXTS), -1, -1, -1), samples)
    got_texts = served.predict_texts(inputs, sample, TEXTS)
    got_one = served.predict(inputs, [copy.deepcopy(sample)])
    assert [s.metainfo['text'] for s in got_texts] == TEXTS
    assert got_texts[0].pred_sem_seg.data.shape == (1, 40, 72)
    for got in (got_texts, got_one):
        n = len(got)
        assert (_probs(got) - _probs(expected[:n])).abs().max() < 1e-4
        assert torch.equal(_masks(got), _masks(expected[:n]))


def test_int8_export_serves_with_its_own_split_graphs(cris):
    model, path = cris
    quantized = init_model(path[: -len('.onnx')] + '.int8.onnx')
    assert quantized.meta['text_head'].endswith('.int8.onnx')
    image = torch.randn(1, 3, 128, 128)
    token_ids = model.tokenize(TEXTS)
    whole = quantized.forward_tokens(image.expand(3, -1, -1, -1), token_ids)
    shared = quantized.forward_shared_image(image, token_ids)
    assert whole.shape == (3, 1, 32, 32)
    assert (whole - shared).abs().max() < 1e-4
    with torch.no_grad():
        reference = model.forward_tokens(image.expand(3, -1, -1, -1), token_ids)
    # quantised, so not equal, but the same function
    assert not torch.equal(whole, reference)
    assert torch.corrcoef(torch.stack([whole.flatten(), reference.flatten()]))[0, 1] > 0.9


def test_risclip_whole_graph_matches_torch(tmp_path):
    torch.manual_seed(0)
    model = init_model(RISCLIP_TINY)
    out = str(tmp_path / 'risclip_tiny.onnx')
    with pytest.raises(ValueError, match='does not read the text'):
        export_onnx(model, model.cfg, out, split=True)
    export_onnx(model, model.cfg, out)
    served = init_model(out)
    assert not served.can_encode_once and served.meta['head_upsample'] == 'bilinear'
    image = np.random.default_rng(1).integers(0, 256, size=(50, 30, 3), dtype=np.uint8)
    inputs, sample = _prepare(served, image, TEXTS[0])
    got = served.predict_texts(inputs, sample, TEXTS[:2])
    samples = [copy.deepcopy(sample) for _ in range(2)]
    for s, text in zip(samples, TEXTS[:2]):
        s.set_metainfo(dict(text=text))
    with torch.no_grad():
        expected = model.predict(inputs.expand(2, -1, -1, -1), samples)
    assert (_probs(got) - _probs(expected)).abs().max() < 1e-4
    assert torch.equal(_masks(got), _masks(expected))


def test_foreign_onnx_file_and_bad_arguments_are_refused(tmp_path, cris):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node('Identity', ['x'], ['y'])
    graph = helper.make_graph(
        [node],
        'g',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])],
    )
    foreign = str(tmp_path / 'foreign.onnx')
    onnx.save(helper.make_model(graph), foreign)
    with pytest.raises(ValueError, match='foreign.onnx is not a refseg export'):
        init_model(foreign)
    _, path = cris
    with pytest.raises(ValueError, match='carries its config and weights'):
        init_model(path, checkpoint='weights.pth')
    with pytest.raises(ValueError, match='text_head graph of a split export'):
        init_model(path[: -len('.onnx')] + '.text_head.onnx')
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        init_model(str(tmp_path / 'missing.onnx'))
    served = init_model(path)
    with pytest.raises(ValueError, match=r'exported for \(128, 128\)'):
        served.forward_tokens(torch.zeros(1, 3, 64, 64), served.tokenize(TEXTS[:1]))


def test_export_forms_equal_the_default_forward(cris):
    """The neck's split and the projector's batch-agnostic convolution compute the same
    function as the default forward."""
    from refseg.models.layers.projector import _shifted_dynamic_conv

    model, _ = cris
    torch.manual_seed(0)
    feats = model.backbone(torch.randn(2, 3, 128, 128))
    sent_feat = torch.randn(2, 64)
    with torch.no_grad():
        assert torch.equal(
            model.neck(feats, dict(sent_feat=sent_feat)),
            model.neck.fuse(model.neck.project_image(feats), sent_feat),
        )
    pixels, kernels, biases = torch.randn(3, 8, 10, 12), torch.randn(3, 8, 3, 3), torch.randn(3)
    grouped = torch.nn.functional.conv2d(
        pixels.reshape(1, 24, 10, 12), kernels, biases, padding=1, groups=3
    ).reshape(3, 1, 10, 12)
    torch.testing.assert_close(
        _shifted_dynamic_conv(pixels, kernels, biases), grouped, rtol=1e-5, atol=1e-5
    )


def test_infer_tool_serves_an_onnx_file(cris, tmp_path):
    import mmcv

    infer = load_script('tools/infer.py')
    image = str(tmp_path / 'photo.png')
    mmcv.imwrite(np.random.default_rng(2).integers(0, 256, (30, 50, 3), np.uint8), image)
    _, path = cris
    out = tmp_path / 'out'
    assert (
        infer.main([image, '--text', 'the red square', '--checkpoint', path, '--out-dir', str(out)])
        == 0
    )
    mask = mmcv.imread(str(out / 'photo_00_the-red-square_mask.png'), flag='grayscale')
    assert mask.shape == (30, 50)
    with pytest.raises(SystemExit, match='2'):  # a config needs a checkpoint
        infer.main([image, '--text', 'x', '--config', CRIS_TINY, '--out-dir', str(out)])


def test_test_tool_scores_an_onnx_file_like_its_checkpoint(tmp_path, monkeypatch):
    """tools/test.py CONFIG FILE.onnx runs the config's test set and evaluator on ONNX
    Runtime: the same per-expression IoUs as the PyTorch checkpoint it was exported from."""
    import json
    import sys

    quick = osp.join(ROOT, 'tests', 'test_tools', 'data', 'cris_tiny_quick.py')
    monkeypatch.chdir(tmp_path)  # the quick config generates its images here
    torch.manual_seed(0)
    checkpoint = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=init_model(quick).state_dict()), checkpoint)
    onnx_file = str(tmp_path / 'random.onnx')
    export_tool = load_script('tools/deployment/export_onnx.py')
    export_tool.main([quick, '--checkpoint', checkpoint, '--out', onnx_file])
    test_tool = load_script('tools/test.py')

    def score(model_file, name, *options):
        out = str(tmp_path / f'{name}.json')
        argv = ['test.py', quick, model_file, '--work-dir', str(tmp_path / name), '--out', out]
        monkeypatch.setattr(sys, 'argv', argv + (['--cfg-options', *options] if options else []))
        test_tool.main()
        with open(out) as f:
            return json.load(f)

    from_torch = score(checkpoint, 'torch')
    from_onnx = score(onnx_file, 'onnx')
    ious = [record['iou'] for record in from_torch]
    assert len(ious) > 2 and len(set(ious)) > 1  # the random model's masks differ
    assert [r['sent_id'] for r in from_onnx] == [r['sent_id'] for r in from_torch]
    np.testing.assert_allclose([r['iou'] for r in from_onnx], ious, atol=1e-6)

    with pytest.raises(ValueError, match=r'model.text_override=.*do not apply to .*random.onnx'):
        score(onnx_file, 'refused', 'model.text_override=')
