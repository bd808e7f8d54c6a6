"""Validation and decoding of COCO mask annotations."""

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from refseg.structures.coco_mask import _compressed_counts, decode_mask_ann, mask_ann_problem

HEIGHT, WIDTH = 20, 30
PART_A = [2.0, 2.0, 12.0, 2.0, 12.0, 12.0, 2.0, 12.0]
PART_B = [8.0, 8.0, 20.0, 8.0, 20.0, 16.0, 8.0, 16.0]


def box_mask(x0, y0, x1, y1):
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def test_compressed_counts_match_pycocotools():
    rng = np.random.default_rng(0)
    for _ in range(20):
        height, width = rng.integers(1, 60, size=2)
        mask = (rng.random((height, width)) < rng.random()).astype(np.uint8)
        counts = _compressed_counts(mask_utils.encode(np.asfortranarray(mask))['counts'])
        runs = np.repeat(np.arange(len(counts)) % 2, counts)
        np.testing.assert_array_equal(runs.reshape(width, height).T, mask)


@pytest.mark.parametrize(
    'mask_ann, message',
    [
        ([], 'polygon list is empty'),
        ([[1.0, 2.0, 3.0, 4.0]], 'polygon 0 has 4 coordinates'),
        ([PART_A, [1.0, 2.0, 3.0, 4.0, 5.0]], 'polygon 1 has 5 coordinates'),
        ([[5.0, 5.0, 5.0, 5.0, 5.0, 5.0]], 'mask is empty'),
        (dict(size=[HEIGHT, WIDTH + 1], counts='abc'), 'RLE size is'),
        (dict(size=[HEIGHT, WIDTH], counts=[10, 10]), 'runs sum to 20'),
        (dict(size=[HEIGHT, WIDTH], counts='P'), 'truncated'),
        (dict(counts=[600]), 'expected "size" and "counts"'),
        ('polygon', 'expected a polygon list or RLE dict'),
    ],
)
def test_problems_are_described(mask_ann, message):
    assert message in mask_ann_problem(mask_ann, HEIGHT, WIDTH)
    with pytest.raises(ValueError, match=message):
        decode_mask_ann(mask_ann, HEIGHT, WIDTH)


def test_valid_annotations_have_no_problem():
    assert mask_ann_problem([PART_A, PART_B], HEIGHT, WIDTH) is None
    rle = mask_utils.encode(np.asfortranarray(box_mask(0, 0, 3, 3)))
    assert mask_ann_problem(dict(size=[HEIGHT, WIDTH], counts=rle['counts']), HEIGHT, WIDTH) is None
