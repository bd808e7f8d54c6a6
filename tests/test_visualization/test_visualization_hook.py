import os
import os.path as osp
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmengine.visualization import Visualizer
from mmseg.structures import SegDataSample

from refseg.engine.hooks.visualization_hook import RefSegVisualizationHook
from refseg.registry import HOOKS
from refseg.visualization import RefSegLocalVisualizer


def outputs_for_one_image(img_path, sentences):
    outputs = []
    for sent_id, text in sentences:
        sample = SegDataSample(
            metainfo=dict(img_path=img_path, text=text, ref_id=7, sent_id=sent_id)
        )
        sample.pred_sem_seg = PixelData(data=torch.zeros(1, 32, 48, dtype=torch.uint8))
        outputs.append(sample)
    return outputs


@pytest.fixture
def image_path(tmp_path):
    path = str(tmp_path / 'COCO_train2014_000000000009.jpg')
    mmcv.imwrite(np.full((32, 48, 3), 90, np.uint8), path)
    return path


class FakeTestRunner(SimpleNamespace):
    """A runner of ``tools/test.py``: asking for ``iter`` would build the training set."""

    @property
    def iter(self):
        raise AssertionError('runner.iter builds the training loop and its dataset')


@pytest.fixture
def runner(tmp_path):
    return FakeTestRunner(
        work_dir=str(tmp_path / 'work'),
        timestamp='20240101_000000',
        message_hub=SimpleNamespace(get_info=lambda key, default: 3),
    )


def test_one_file_per_sentence_in_show_dir(image_path, runner):
    RefSegLocalVisualizer.get_instance('hook_show_dir')
    hook = HOOKS.build(dict(type='RefSegVisualizationHook', draw=True, show_dir='vis', interval=1))
    hook.before_run(runner)
    outputs = outputs_for_one_image(image_path, [(1, 'the left dog'), (2, 'the right dog')])
    hook.after_test_iter(runner, 0, {}, outputs)
    out_dir = osp.join(runner.work_dir, runner.timestamp, 'vis')
    assert sorted(os.listdir(out_dir)) == [
        'test_COCO_train2014_000000000009_ref7_sent1.png',
        'test_COCO_train2014_000000000009_ref7_sent2.png',
    ]
    first = mmcv.imread(osp.join(out_dir, os.listdir(out_dir)[0]))
    second = mmcv.imread(osp.join(out_dir, os.listdir(out_dir)[1]))
    assert first.shape[1] == 48 * 7 and first.shape[0] > 32 * 7  # enlarged + caption
    assert not np.array_equal(first, second)  # each carries its own expression


def test_backends_store_under_the_visualizer_save_dir(image_path, runner, tmp_path):
    RefSegLocalVisualizer.get_instance(
        'hook_backend', vis_backends=[dict(type='LocalVisBackend')], save_dir=str(tmp_path / 'show')
    )
    hook = RefSegVisualizationHook(draw=True, interval=2)
    hook.before_run(runner)
    outputs = outputs_for_one_image(image_path, [(5, 'a cup')])
    hook.after_val_iter(runner, 0, {}, outputs)  # batch 1 of every 2: skipped
    vis_dir = tmp_path / 'show' / 'vis_data' / 'vis_image'
    assert not vis_dir.exists()
    hook.after_val_iter(runner, 1, {}, outputs)
    assert os.listdir(vis_dir) == ['val_COCO_train2014_000000000009_ref7_sent5_3.png']


def test_samples_without_ids_get_batch_names(image_path, runner, tmp_path):
    RefSegLocalVisualizer.get_instance('hook_no_ids')
    hook = RefSegVisualizationHook(draw=True, show_dir=str(tmp_path / 'abs'), interval=1)
    hook.before_run(runner)
    outputs = outputs_for_one_image(image_path, [(None, 'a'), (None, 'b')])
    hook.after_test_iter(runner, 4, {}, outputs)
    assert sorted(os.listdir(tmp_path / 'abs')) == [
        'test_COCO_train2014_000000000009_b4_0.png',
        'test_COCO_train2014_000000000009_b4_1.png',
    ]


def test_draw_false_draws_nothing(image_path, runner, tmp_path):
    RefSegLocalVisualizer.get_instance('hook_off')
    hook = RefSegVisualizationHook(show_dir=str(tmp_path / 'off'))
    hook.before_run(runner)
    hook.after_test_iter(runner, 0, {}, outputs_for_one_image(image_path, [(1, 'a')]))
    assert not (tmp_path / 'off').exists()


def test_needs_the_refseg_visualizer(image_path, runner):
    Visualizer.get_instance('plain_visualizer')
    hook = RefSegVisualizationHook(draw=True, interval=1)
    with pytest.raises(TypeError, match='RefSegLocalVisualizer'):
        hook.after_test_iter(runner, 0, {}, outputs_for_one_image(image_path, [(1, 'a')]))


def test_test_draws_every_nth_sample_across_batches(image_path, runner, tmp_path):
    RefSegLocalVisualizer.get_instance('hook_every_nth')
    hook = RefSegVisualizationHook(draw=True, show_dir=str(tmp_path / 'nth'), interval=3)
    hook.before_run(runner)
    hook.before_test(runner)
    for batch_idx in range(3):  # samples 0..7 in batches of 3, 3 and 2
        count = 2 if batch_idx == 2 else 3
        sentences = [(batch_idx * 3 + i, f'sentence {batch_idx * 3 + i}') for i in range(count)]
        hook.after_test_iter(runner, batch_idx, {}, outputs_for_one_image(image_path, sentences))
    drawn = sorted(os.listdir(tmp_path / 'nth'))
    assert drawn == [f'test_COCO_train2014_000000000009_ref7_sent{i}.png' for i in (0, 3, 6)]
