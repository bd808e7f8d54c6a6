import numpy as np
import pytest
import torch

from refseg.datasets.transforms import LetterBox, RandomTextFlip
from refseg.datasets.transforms.text_flip import swap_spatial_words
from refseg.structures.letterbox import warp_to_original


@pytest.mark.parametrize(
    'text, flipped',
    [
        ('the man on the left', 'the man on the right'),
        ('rightmost zebra', 'leftmost zebra'),
        ('Left-most guy, right of the dog', 'Right-most guy, left of the dog'),
        ('LEFT cup', 'RIGHT cup'),
        ('lefter of the two', 'righter of the two'),
        ('the lefthand side, on the right side', 'the righthand side, on the left side'),
        ('bottom-left cup', 'bottom-right cup'),
        ('leftover pizza on the right', 'leftover pizza on the left'),
        ('righteous lefty', 'righteous lefty'),
        ('the top cat', 'the top cat'),
    ],
)
def test_horizontal_swaps(text, flipped):
    assert swap_spatial_words(text) == flipped
    # Swapping twice gives the expression back.
    assert swap_spatial_words(flipped) == text


def test_vertical_swaps():
    assert (
        swap_spatial_words('Top shelf above the upper bowl, bottom-left', 'vertical')
        == 'Bottom shelf below the lower bowl, top-left'
    )
    assert swap_spatial_words('topmost stopper', 'vertical') == 'bottommost stopper'


def make_results():
    img = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    mask = np.zeros((4, 6), np.uint8)
    mask[1:3, 0:2] = 1
    return dict(
        img=img,
        gt_seg_map=mask,
        seg_fields=['gt_seg_map'],
        text='the cup on the left',
        sentences=['the left cup', 'a cup'],
    )


def test_flip_moves_pixels_and_words_together():
    original = make_results()
    results = RandomTextFlip(prob=1.0)(make_results())
    np.testing.assert_array_equal(results['img'], original['img'][:, ::-1])
    np.testing.assert_array_equal(results['gt_seg_map'], original['gt_seg_map'][:, ::-1])
    assert results['gt_seg_map'][1:3, 4:].all()
    assert results['text'] == 'the cup on the right'
    assert results['sentences'] == ['the right cup', 'a cup']
    assert results['flip'] is True and results['flip_direction'] == 'horizontal'


def test_vertical_flip():
    results = make_results()
    results['text'] = 'the top cup'
    flipped = RandomTextFlip(prob=1.0, direction='vertical')(results)
    np.testing.assert_array_equal(flipped['img'], make_results()['img'][::-1])
    assert flipped['text'] == 'the bottom cup'


def test_no_flip_leaves_everything():
    results = RandomTextFlip(prob=0.0)(make_results())
    np.testing.assert_array_equal(results['img'], make_results()['img'])
    assert results['text'] == 'the cup on the left'
    assert results['flip'] is False and results['flip_direction'] is None


def test_probability_is_respected():
    np.random.seed(0)
    flips = [RandomTextFlip(prob=0.3)(make_results())['flip'] for _ in range(400)]
    assert 0.22 < np.mean(flips) < 0.38


def test_flip_after_letterbox_keeps_the_inverse_mapping():
    """Network-space maps of a flipped sample still map back onto the original pixels."""
    mask = np.zeros((30, 40), np.uint8)
    mask[5:20, 2:12] = 1
    results = LetterBox(size=40, seg_interpolation='nearest', soft_mask=False)(
        dict(
            img=np.zeros((30, 40, 3), np.uint8),
            gt_seg_map=mask.copy(),
            seg_fields=['gt_seg_map'],
            text='left',
        )
    )
    results = RandomTextFlip(prob=1.0)(results)
    matrix = results['letterbox_matrix']
    back = warp_to_original(
        torch.from_numpy(results['gt_seg_map'][None]).float(), matrix, (30, 40), mode='nearest'
    )[0].numpy()
    np.testing.assert_array_equal(back, mask)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(prob=1.5), 'prob must be in'),
        (dict(direction='diagonal'), 'direction must be one of'),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomTextFlip(**kwargs)
