import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample

from refseg.datasets.transforms import PackRefSegInputs
from refseg.datasets.transforms.formatting import DEFAULT_META_KEYS


def make_results(seg_map):
    return dict(
        img=np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8),
        gt_seg_map=seg_map,
        img_path='a.jpg',
        ori_shape=(6, 8),
        img_shape=(8, 8),
        text='the red circle',
        ref_id=3,
        sent_id=7,
        ann_id=5,
        image_id=2,
        letterbox_matrix=np.eye(2, 3),
        mask_ann=[[0.0, 0.0, 1.0, 0.0, 1.0, 1.0]],
        sentences=['x'],
    )


def test_soft_mask_stays_float():
    soft = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    results = make_results(soft)
    packed = PackRefSegInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert isinstance(sample, SegDataSample)
    assert inputs.shape == (3, 8, 8) and inputs.dtype == torch.uint8
    np.testing.assert_array_equal(inputs.numpy(), results['img'].transpose(2, 0, 1))
    assert sample.gt_sem_seg.data.dtype == torch.float32
    assert sample.gt_sem_seg.data.shape == (1, 8, 8)
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), soft)


def test_integer_mask_becomes_int64_and_meta_keys_travel():
    hard = np.eye(8, dtype=np.uint8)
    sample = PackRefSegInputs()(make_results(hard))['data_samples']
    assert sample.gt_sem_seg.data.dtype == torch.int64
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), hard)
    assert (sample.text, sample.ref_id, sample.sent_id, sample.ann_id, sample.image_id) == (
        'the red circle',
        3,
        7,
        5,
        2,
    )
    np.testing.assert_array_equal(sample.letterbox_matrix, np.eye(2, 3))
    assert sample.ori_shape == (6, 8) and sample.img_path == 'a.jpg'
    # Only meta keys are packed; missing ones (flip, scale_factor, ...) are skipped.
    assert set(sample.metainfo) == {
        'text',
        'ref_id',
        'sent_id',
        'ann_id',
        'image_id',
        'letterbox_matrix',
        'ori_shape',
        'img_shape',
        'img_path',
    }
    assert set(sample.metainfo) < set(DEFAULT_META_KEYS)


def test_custom_meta_keys_and_no_mask():
    results = make_results(None)
    del results['gt_seg_map']
    packed = PackRefSegInputs(meta_keys=('text', 'category_id'))(results)
    assert set(packed['data_samples'].metainfo) == {'text'}
    assert 'gt_sem_seg' not in packed['data_samples']


def test_gray_image_gets_a_channel_axis():
    results = make_results(np.zeros((8, 8), np.uint8))
    results['img'] = results['img'][..., 0]
    assert PackRefSegInputs()(results)['inputs'].shape == (1, 8, 8)


def test_mask_must_be_two_dimensional():
    with pytest.raises(ValueError, match=r'2-D gt_seg_map, got shape \(1, 8, 8\) for a.jpg'):
        PackRefSegInputs()(make_results(np.zeros((1, 8, 8), np.uint8)))
