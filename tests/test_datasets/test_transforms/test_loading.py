import numpy as np
import pycocotools.mask as mask_utils
import pytest

from refseg.datasets.transforms import LoadRefMask

HEIGHT, WIDTH = 20, 30
# Two overlapping squares: the union is what REFER's mask is.
PART_A = [2.0, 2.0, 12.0, 2.0, 12.0, 12.0, 2.0, 12.0]
PART_B = [8.0, 8.0, 20.0, 8.0, 20.0, 16.0, 8.0, 16.0]


def box_mask(x0, y0, x1, y1):
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def test_polygon_parts_are_united():
    results = LoadRefMask()(
        dict(mask_ann=[PART_A, PART_B], height=HEIGHT, width=WIDTH, seg_fields=[])
    )
    expected = box_mask(2, 2, 12, 12) | box_mask(8, 8, 20, 16)
    assert results['gt_seg_map'].dtype == np.uint8
    np.testing.assert_array_equal(results['gt_seg_map'], expected)
    assert results['seg_fields'] == ['gt_seg_map']
    # Loading again does not list the field twice.
    assert LoadRefMask()(results)['seg_fields'] == ['gt_seg_map']


@pytest.mark.parametrize('form', ['str', 'bytes', 'list'])
def test_rle_counts_in_every_form(form):
    expected = box_mask(3, 4, 17, 9)
    rle = mask_utils.encode(np.asfortranarray(expected))
    if form == 'str':
        counts = rle['counts'].decode()
    elif form == 'bytes':
        counts = rle['counts']
    else:
        counts, value, length = [], 0, 0  # runs of 0s and 1s, column-major
        for pixel in expected.flatten(order='F'):
            if pixel == value:
                length += 1
            else:
                counts.append(length)
                value, length = pixel, 1
        counts.append(length)
    mask_ann = dict(size=[HEIGHT, WIDTH], counts=counts)
    results = LoadRefMask()(dict(mask_ann=mask_ann, height=HEIGHT, width=WIDTH))
    np.testing.assert_array_equal(results['gt_seg_map'], expected)


def test_errors_name_the_annotation_and_the_image():
    with pytest.raises(ValueError, match=r'ann_id=7 \(ref_id=3\).*polygon list is empty'):
        LoadRefMask()(dict(mask_ann=[], height=HEIGHT, width=WIDTH, ann_id=7, ref_id=3))
    with pytest.raises(ValueError, match='a.jpg is 20x31 but its annotation says height=20'):
        LoadRefMask()(
            dict(
                mask_ann=[PART_A],
                height=HEIGHT,
                width=WIDTH,
                img_path='a.jpg',
                ori_shape=(HEIGHT, WIDTH + 1),
            )
        )
