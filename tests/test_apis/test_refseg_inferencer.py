"""RefSegInferencer: many images x many expressions, folders, stored configs, errors."""

import json
import os.path as osp
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

import refseg.apis.refseg_inferencer as inferencer_module
from refseg.apis import RefSegInferencer, inference_refseg, init_model
from refseg.apis.refseg_inferencer import config_from_checkpoint, parse_config_text
from refseg.registry import INFERENCERS
from script_loader import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')
TEXTS = ['the red square', 'a blue circle on the left', 'the big green triangle']


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, one_thread):
    """A checkpoint of a random tiny CRIS that stores its config, as training does."""
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(), meta=dict(cfg=Config.fromfile(TINY_CONFIG).pretty_text)
        ),
        path,
    )
    return path


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    return RefSegInferencer(TINY_CONFIG, weights=checkpoint, device='cpu', show_progress=False)


def images(count=3):
    rng = np.random.default_rng(1)
    shapes = [(40, 72), (64, 48), (30, 30), (50, 90)]
    return [rng.integers(0, 256, size=(*shapes[i], 3), dtype=np.uint8) for i in range(count)]


def test_many_images_times_many_expressions(inferencer):
    imgs = images(3)
    result = inferencer(imgs, TEXTS, batch_size=2)
    assert result['inputs'] == [0, 1, 2] and result['failures'] == []
    assert len(result['predictions']) == 3
    for img, preds in zip(imgs, result['predictions']):
        assert [p['text'] for p in preds] == TEXTS
        shots = inference_refseg(inferencer.model, img, TEXTS)
        for pred, shot in zip(preds, shots):
            assert pred['mask'].shape == pred['prob'].shape == img.shape[:2]
            assert pred['mask'].dtype == np.bool_
            np.testing.assert_allclose(pred['prob'], shot.prob, atol=1e-4)
            assert pred['score'] == pytest.approx(float(pred['prob'].max()))
            # The mask is empty exactly when the score is at most the threshold.
            assert pred['mask'].any() == (pred['score'] > inferencer.model.threshold)
    # Batching across images changes nothing.
    one_by_one = inferencer(imgs, TEXTS, batch_size=1)
    for a, b in zip(result['predictions'], one_by_one['predictions']):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa['prob'], pb['prob'], atol=1e-4)


def test_one_list_of_expressions_per_image(inferencer):
    imgs = images(2)
    result = inferencer(imgs, [TEXTS[:1], TEXTS[1:]], batch_size=2)
    assert [[p['text'] for p in preds] for preds in result['predictions']] == [TEXTS[:1], TEXTS[1:]]
    single = inferencer(imgs[0], TEXTS[0])
    np.testing.assert_allclose(
        single['predictions'][0][0]['prob'], result['predictions'][0][0]['prob'], atol=1e-4
    )
    with pytest.raises(ValueError, match='3 lists of expressions for 2 images'):
        inferencer(imgs, [TEXTS[:1]] * 3)
    with pytest.raises(TypeError, match='mixes strings and lists'):
        inferencer(imgs, [TEXTS[0], TEXTS[1:]])
    with pytest.raises(ValueError, match='expression is empty'):
        inferencer(imgs, ['ok', ' '])


def test_folder_skips_and_reports_unreadable_images(inferencer, tmp_path, capsys, monkeypatch):
    folder = tmp_path / 'photos'
    folder.mkdir()
    imgs = images(2)
    mmcv.imwrite(imgs[0], str(folder / 'a.png'))
    (folder / 'b.jpg').write_bytes(b'not a jpeg at all')
    mmcv.imwrite(imgs[1], str(folder / 'c.jpg'))
    (folder / 'readme.txt').write_text('not an image extension: ignored')
    inferencer.show_progress = True
    # Bars are drawn on a terminal only; pretend the captured stdout is one.
    monkeypatch.setattr(sys.stdout, 'isatty', lambda: True)
    try:
        with pytest.warns(UserWarning, match=r'1 of 3 images skipped: .*b\.jpg'):
            result = inferencer(str(folder), TEXTS[:2], out_dir=str(tmp_path / 'out'), batch_size=2)
    finally:
        inferencer.show_progress = False
    assert '3/3' in capsys.readouterr().out  # mmengine's progress bar ran to the end
    assert result['inputs'] == [str(folder / 'a.png'), str(folder / 'c.jpg')]
    assert [f['input'] for f in result['failures']] == [str(folder / 'b.jpg')]
    assert 'cannot decode image' in result['failures'][0]['error']
    summary = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert [f['image'] for f in summary['failures']] == [str(folder / 'b.jpg')]
    entry = summary['results'][1]
    assert (entry['height'], entry['width']) == imgs[1].shape[:2]
    mask = mmcv.imread(str(tmp_path / 'out' / entry['expressions'][1]['mask']), flag='unchanged')
    assert np.array_equal(mask > 0, result['predictions'][1][1]['mask'])
    assert (tmp_path / 'out' / 'c_01_a-blue-circle-on-the-left.png').is_file()
    # A bad image given by itself is an error, not a skip.
    with pytest.raises(ValueError, match='b.jpg'):
        inferencer(str(folder / 'b.jpg'), TEXTS[0])
    with pytest.raises(FileNotFoundError, match='no image files'):
        inferencer(str(tmp_path / 'out' / '..' / 'photos' / '..'), TEXTS[0])


def test_published_checkpoint_alone(inferencer, checkpoint, tmp_path):
    publish_model = load_script('tools/model_converters/publish_model.py')
    published = publish_model.publish(checkpoint, str(tmp_path / 'tiny_cris.pth'))
    alone = RefSegInferencer(published, device='cpu', show_progress=False)
    assert alone.cfg.model.type == 'RefSegmentor'
    for key, value in inferencer.model.state_dict().items():
        assert torch.equal(alone.model.state_dict()[key], value), key
    img = images(1)
    got = alone(img, TEXTS[:2])['predictions'][0]
    want = inferencer(img, TEXTS[:2])['predictions'][0]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a['prob'], b['prob'], atol=1e-6)


def test_stored_config_is_parsed_not_run(tmp_path):
    marker = tmp_path / 'pwned'
    payload = f"model = dict(type='RefSegmentor')\n__import__('os').system('touch {marker}')\n"
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, meta=dict(cfg=payload)), path)
    with pytest.raises(ValueError, match='line 2 .*refusing to run it'):
        config_from_checkpoint(path)
    for sneaky in (
        f"model = __import__('os').system('touch {marker}')\n",
        f"model = dict(a=open('{marker}', 'w'))\n",
        "model = dict(**{'a': 1})\n",
    ):
        with pytest.raises(ValueError, match='refusing'):
            parse_config_text(sneaky)
    assert not marker.exists()
    assert parse_config_text("a = dict(b=[1, -2.5, (3, None)], c={'d': True})\n") == dict(
        a=dict(b=[1, -2.5, (3, None)], c={'d': True})
    )
    torch.save(dict(state_dict={}), path)
    with pytest.raises(ValueError, match='stores no config'):
        RefSegInferencer(path, device='cpu')


def test_registered_and_onnx_routed_to_init_model(inferencer, monkeypatch, tmp_path):
    built = INFERENCERS.build(
        dict(type='RefSegInferencer', model=TINY_CONFIG, device='cpu', show_progress=False)
    )
    assert isinstance(built, RefSegInferencer)

    class PredictTextsOnly:
        """The interface an exported model offers: no predict_batch_texts."""

        def __init__(self, model):
            self.cfg, self.test_pipeline = model.cfg, model.test_pipeline
            self.data_preprocessor = model.data_preprocessor
            self.predict_texts = model.predict_texts
            self.calls = 0

        def to(self, device):
            return self

        def eval(self):
            return self

    wrapped = PredictTextsOnly(inferencer.model)
    onnx_path = tmp_path / 'tiny.onnx'
    onnx_path.write_bytes(b'onnx')
    seen = []
    monkeypatch.setattr(
        inferencer_module, 'init_model', lambda path, device='cpu': seen.append(path) or wrapped
    )
    from_onnx = RefSegInferencer(str(onnx_path), device='cpu', show_progress=False)
    assert seen == [str(onnx_path)] and from_onnx.model is wrapped
    imgs = images(2)
    got = from_onnx(imgs, TEXTS[:2], batch_size=2)
    want = inferencer(imgs, TEXTS[:2], batch_size=2)
    for a, b in zip(got['predictions'], want['predictions']):
        for pa, pb in zip(a, b):
            assert np.array_equal(pa['mask'], pb['mask'])
