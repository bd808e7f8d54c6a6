import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope

from refseg.datasets import RefCOCODataset
from refseg.datasets.transforms import LetterBox
from refseg.structures.letterbox import letterbox_matrix, warp_to_original


def random_image(height, width, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def disc_mask(height, width):
    ys, xs = np.mgrid[:height, :width]
    return ((xs - width * 0.4) ** 2 + (ys - height * 0.55) ** 2 < (height * 0.3) ** 2).astype(
        np.uint8
    )


def back_to_original(array, results, shape, mode):
    maps = torch.from_numpy(np.ascontiguousarray(np.atleast_3d(array).transpose(2, 0, 1)))
    return warp_to_original(maps.float(), results['letterbox_matrix'], shape, mode).numpy()


def test_output_keys_and_padding():
    img = random_image(48, 64)
    results = LetterBox(size=64)(dict(img=img.copy(), seg_fields=[]))
    assert results['img'].shape == (64, 64, 3) and results['img'].dtype == np.uint8
    assert results['img_shape'] == (64, 64)
    np.testing.assert_array_equal(results['letterbox_matrix'], letterbox_matrix(48, 64, 64))
    assert 'letterbox_inverse' not in results
    # 8 rows of border above and below, CLIP's RGB mean written in BGR order.
    np.testing.assert_array_equal(results['img'][:8], np.broadcast_to([104, 117, 123], (8, 64, 3)))
    np.testing.assert_array_equal(results['img'][-8:, 5], np.broadcast_to([104, 117, 123], (8, 3)))


def test_image_and_mask_round_trip_exactly_at_scale_one():
    img, mask = random_image(48, 64), disc_mask(48, 64)
    transform = LetterBox(size=64, seg_interpolation='nearest', soft_mask=False)
    results = transform(dict(img=img.copy(), gt_seg_map=mask.copy(), seg_fields=['gt_seg_map']))
    assert results['gt_seg_map'].dtype == np.uint8
    back_img = back_to_original(results['img'], results, (48, 64), 'nearest')
    np.testing.assert_array_equal(back_img.transpose(1, 2, 0), img)
    back_mask = back_to_original(results['gt_seg_map'], results, (48, 64), 'nearest')
    np.testing.assert_array_equal(back_mask[0], mask)


def test_upscaled_image_round_trips_within_rounding():
    img = random_image(24, 32, seed=1)
    results = LetterBox(size=64, interpolation='bilinear')(dict(img=img.copy()))
    back = back_to_original(results['img'], results, (24, 32), 'bilinear').transpose(1, 2, 0)
    assert np.abs(back - img).max() <= 1


def test_soft_mask_is_a_probability_and_round_trips():
    mask = disc_mask(96, 128)
    # Scale 0.5625: network pixels fall between original ones, so borders come out soft.
    results = LetterBox(size=72)(
        dict(img=random_image(96, 128), gt_seg_map=mask.copy(), seg_fields=['gt_seg_map'])
    )
    soft = results['gt_seg_map']
    assert soft.dtype == np.float32 and soft.shape == (72, 72)
    assert soft.min() >= 0 and soft.max() <= 1
    assert ((soft > 0.05) & (soft < 0.95)).sum() > 20
    back = back_to_original(soft, results, (96, 128), 'bilinear')[0] > 0.5
    iou = (back & (mask > 0)).sum() / (back | (mask > 0)).sum()
    assert iou > 0.93


def test_hard_mask_is_rounded():
    mask = disc_mask(96, 128)
    results = LetterBox(size=64, soft_mask=False)(
        dict(img=random_image(96, 128), gt_seg_map=mask.copy(), seg_fields=['gt_seg_map'])
    )
    assert results['gt_seg_map'].dtype == np.uint8
    assert set(np.unique(results['gt_seg_map'])) == {0, 1}


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(interpolation='cubic'), "interpolation='cubic' is not one of"),
        (dict(seg_interpolation='linear'), "seg_interpolation='linear'"),
        (dict(size=0), 'positive int'),
        (dict(pad_val=(1, 2)), '3 RGB values'),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LetterBox(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r'needs binary masks .* gt_seg_map has values up to 255'):
        LetterBox(size=32)(
            dict(
                img=random_image(20, 20),
                gt_seg_map=np.full((20, 20), 255, np.uint8),
                seg_fields=['gt_seg_map'],
            )
        )
    with pytest.raises(ValueError, match=r'expects an \(h, w, 3\) image'):
        LetterBox(size=32)(dict(img=np.zeros((20, 20), np.uint8), img_path='g.png'))


def test_mmseg_resize_works_instead(synthetic_refcoco_root):
    """mmseg.Resize can replace LetterBox; no letterbox keys then (the segmentor falls back)."""
    init_default_scope('refseg')
    pipeline = Compose(
        [
            dict(type='LoadImageFromFile'),
            dict(type='LoadRefMask'),
            dict(type='mmseg.Resize', scale=(64, 64), keep_ratio=True),
            dict(type='PackRefSegInputs'),
        ]
    )
    dataset = RefCOCODataset(
        synthetic_refcoco_root, split='val', sentence_mode='all', serialize_data=False
    )
    packed = pipeline(dataset.get_data_info(0))
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 51, 64)  # 64x80 kept its aspect ratio
    assert sample.gt_sem_seg.data.shape == (1, 51, 64)
    assert sample.gt_sem_seg.data.dtype == torch.int64
    assert set(sample.gt_sem_seg.data.unique().tolist()) == {0, 1}
    assert 'letterbox_matrix' not in sample and 'scale_factor' in sample
    assert sample.ori_shape == (64, 80) and sample.text == dataset.get_data_info(0)['text']
