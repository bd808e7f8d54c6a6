"""tools/infer.py and tools/model_converters/publish_model.py on a tiny trained model."""

import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from refseg.apis import init_model
from script_loader import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic.py')
TEXTS = ['the white square', 'the black background!']


infer = load_script('tools/infer.py')
publish_model = load_script('tools/model_converters/publish_model.py')


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def square_image(height=48, width=64):
    img = np.zeros((height, width, 3), np.uint8)
    img[12:36, 20:44] = 255
    mask = (img[..., 0] > 0).astype(np.uint8)
    return img, mask


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory, one_thread):
    """A training-style checkpoint of the tiny model after a few optimizer steps."""
    torch.manual_seed(0)
    model = init_model(TINY_CONFIG)
    model.train()
    img, mask = square_image()
    packed = model.test_pipeline(
        dict(
            img=img,
            gt_seg_map=mask,
            seg_fields=['gt_seg_map'],
            ori_shape=img.shape[:2],
            text=TEXTS[0],
        )
    )
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    batch = dict(inputs=[packed['inputs']] * 2, data_samples=[packed['data_samples']] * 2)
    losses = [model.train_step(batch, optim)['decode.loss_ce'].item() for _ in range(4)]
    assert losses[-1] < losses[0]
    path = str(tmp_path_factory.mktemp('ckpt') / 'iter_4.pth')
    cfg_text = Config.fromfile(TINY_CONFIG).pretty_text  # as the runner stores it
    torch.save(
        dict(
            meta=dict(iter=4, dataset_meta=dict(classes=('background', 'object')), cfg=cfg_text),
            state_dict=model.state_dict(),
            optimizer=optim.state_dict(),
            message_hub=dict(log_scalars={}),
        ),
        path,
    )
    return path, model.state_dict()


def test_publish_model_strips_training_state(trained_checkpoint, tmp_path):
    src, state_dict = trained_checkpoint
    out = publish_model.publish(src, str(tmp_path / 'tiny_cris.pth'))
    name = osp.basename(out)
    assert name.startswith('tiny_cris-') and name.endswith('.pth')
    digest = name[len('tiny_cris-') : -len('.pth')]
    import hashlib

    with open(out, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest()[:8] == digest
    published = torch.load(out, weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    assert published['meta']['iter'] == 4
    assert all(torch.equal(published['state_dict'][k], v) for k, v in state_dict.items())


def test_infer_writes_overlays_masks_and_summary(trained_checkpoint, tmp_path):
    ckpt, _ = trained_checkpoint
    images = tmp_path / 'images'
    images.mkdir()
    img, _ = square_image()
    mmcv.imwrite(img, str(images / 'square.png'))
    mmcv.imwrite(img[:40, :40], str(images / 'square.jpg'))  # same stem, other size
    (images / 'broken.jpg').write_bytes(b'not an image')
    (images / 'notes.txt').write_text('ignored: not an image extension')
    out_dir = tmp_path / 'out'

    status = infer.main(
        [
            str(images),
            '--text',
            TEXTS[0],
            '--text',
            TEXTS[1],
            '--config',
            TINY_CONFIG,
            '--checkpoint',
            ckpt,
            '--out-dir',
            str(out_dir),
            '--threshold',
            '0.5',
        ]
    )

    assert status == 1  # broken.jpg failed, the others went on
    summary = json.loads((out_dir / 'summary.json').read_text())
    assert summary['expressions'] == TEXTS
    assert [f['image'] for f in summary['failures']] == [str(images / 'broken.jpg')]
    assert 'broken.jpg' in summary['failures'][0]['error']
    results = {osp.basename(r['image']): r for r in summary['results']}
    assert set(results) == {'square.jpg', 'square.png'}
    written = set()
    for image_name, (height, width) in (('square.png', (48, 64)), ('square.jpg', (40, 40))):
        entry = results[image_name]
        assert (entry['height'], entry['width']) == (height, width)
        assert entry['threshold'] == 0.5
        for index, expr in enumerate(entry['expressions']):
            assert expr['index'] == index and expr['text'] == TEXTS[index]
            overlay = mmcv.imread(str(out_dir / expr['overlay']))
            mask = mmcv.imread(str(out_dir / expr['mask']), flag='unchanged')
            assert overlay.shape[1] >= width and overlay.shape[0] > height  # + caption
            assert mask.shape == (height, width)
            assert set(np.unique(mask)) <= {0, 255}
            assert expr['mask_area'] == int((mask == 255).sum())
            written.update([expr['overlay'], expr['mask']])
    assert len(written) == 8  # unique per image and expression
    # Sorted input: square.jpg takes the stem "square", square.png becomes "square-2".
    assert results['square.jpg']['expressions'][0]['overlay'] == 'square_00_the-white-square.png'
    assert (
        results['square.png']['expressions'][1]['mask']
        == 'square-2_01_the-black-background_mask.png'
    )
    assert sorted(os.listdir(out_dir)) == sorted(written | {'summary.json'})


def test_infer_single_image_and_bad_arguments(trained_checkpoint, tmp_path, capsys):
    ckpt, _ = trained_checkpoint
    img, _ = square_image()
    path = str(tmp_path / 'one.png')
    mmcv.imwrite(img, path)
    common = ['--config', TINY_CONFIG, '--checkpoint', ckpt, '--out-dir', str(tmp_path / 'o')]
    assert infer.main([path, '--text', TEXTS[0], *common]) == 0
    with_config = mmcv.imread(
        str(tmp_path / 'o' / 'one_00_the-white-square_mask.png'), flag='unchanged'
    )
    # The published checkpoint alone: its stored config builds the same model.
    published = publish_model.publish(ckpt, str(tmp_path / 'tiny.pth'))
    assert (
        infer.main(
            [path, '--text', TEXTS[0], '--checkpoint', published, '--out-dir', str(tmp_path / 'p')]
        )
        == 0
    )
    alone = mmcv.imread(str(tmp_path / 'p' / 'one_00_the-white-square_mask.png'), flag='unchanged')
    assert np.array_equal(alone, with_config)
    assert infer.main([path, '--text', '  ', *common]) == 2
    assert 'expression is empty' in capsys.readouterr().err
    assert infer.main([str(tmp_path / 'missing.png'), '--text', 'x', *common]) == 2
    assert 'missing.png' in capsys.readouterr().err


def test_slugify():
    from refseg.apis.refseg_inferencer import slugify

    assert slugify('The dog, on the LEFT!') == 'the-dog-on-the-left'
    assert slugify('猫') == 'text'
    assert len(slugify('a' * 100)) == 40


@pytest.mark.parametrize('no_target', [True, False])
def test_infer_reports_the_no_target_decision_of_a_gres_model(tmp_path, capsys, no_target):
    """A gRES checkpoint (a NoTargetHead made certain through its bias) alone: the
    printed line, summary.json and the mask file carry the decision."""
    config = osp.join(ROOT, 'configs', 'synthetic', 'cris_tiny_synthetic-gres.py')
    torch.manual_seed(0)
    model = init_model(config)
    with torch.no_grad():
        model.no_target_head.classifier[-1].bias.fill_(30.0 if no_target else -30.0)
    ckpt = str(tmp_path / 'gres.pth')
    cfg_text = Config.fromfile(config).pretty_text
    torch.save(dict(meta=dict(cfg=cfg_text), state_dict=model.state_dict()), ckpt)
    img, _ = square_image()
    path = str(tmp_path / 'one.png')
    mmcv.imwrite(img, path)
    out_dir = tmp_path / 'out'
    argv = [path, '--text', TEXTS[0], '--checkpoint', ckpt, '--out-dir', str(out_dir)]
    # Threshold 0: a target fills the whole mask; no threshold undoes "no target".
    assert infer.main([*argv, '--threshold', '0']) == 0
    stdout = capsys.readouterr().out
    expr = json.loads((out_dir / 'summary.json').read_text())['results'][0]['expressions'][0]
    mask = mmcv.imread(str(out_dir / expr['mask']), flag='unchanged')
    assert expr['no_target'] is no_target
    if no_target:
        assert expr['no_target_score'] == 1.0
        assert f'{path}: "{TEXTS[0]}": no target (score 1.00)' in stdout
        assert expr['mask_area'] == 0 and not mask.any()
    else:
        assert expr['no_target_score'] < 1e-6
        assert f'{path}: "{TEXTS[0]}": target, mask 100.00 % of the image' in stdout
        assert expr['mask_area'] == mask.size and (mask == 255).all()
