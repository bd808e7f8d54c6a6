"""A flip that keeps the expression true: spatial words are swapped with the pixels."""

import re
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from refseg.registry import TRANSFORMS

# Word stems swapped by each flip. A stem matches as a whole word, alone or with one of the
# suffixes below ('leftmost', 'left-most', 'righter', 'lefthand'), so 'leftover' or
# 'righteous' stay untouched. Non-spatial uses ('right behind', 'the man who left') are
# swapped too; a word list cannot tell them apart.
SWAPS: Dict[str, Dict[str, str]] = {
    'horizontal': {'left': 'right', 'right': 'left'},
    'vertical': {
        'top': 'bottom',
        'bottom': 'top',
        'upper': 'lower',
        'lower': 'upper',
        'above': 'below',
        'below': 'above',
    },
}
_SUFFIXES = ('most', 'er', 'est', 'ish', 'hand', 'side')


def _pattern(stems) -> re.Pattern:
    stem_group = '|'.join(sorted(stems, key=len, reverse=True))
    suffix_group = '|'.join(_SUFFIXES)
    return re.compile(rf'\b({stem_group})(?:{suffix_group})?\b', re.IGNORECASE)


_PATTERNS = {direction: _pattern(words) for direction, words in SWAPS.items()}


def _match_case(word: str, template: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def swap_spatial_words(text: str, direction: str = 'horizontal') -> str:
    """Swap the words that a flip in ``direction`` turns into their opposites.

    Args:
        text (str): A referring expression.
        direction (str): 'horizontal' (left <-> right) or 'vertical' (top <-> bottom,
            upper <-> lower, above <-> below).

    Returns:
        str: The expression with each spatial stem replaced, case preserved
        ('Left-most' -> 'Right-most', 'LEFT' -> 'RIGHT').
    """
    swaps = SWAPS[direction]

    def replace(match: re.Match) -> str:
        stem = match.group(1)
        new_stem = _match_case(swaps[stem.lower()], stem)
        return new_stem + match.group(0)[len(stem) :]

    return _PATTERNS[direction].sub(replace, text)


@TRANSFORMS.register_module()
class RandomTextFlip(BaseTransform):
    """Flip the image and its maps and swap the spatial words of the expression.

    A plain flip would make "the man on the left" point at the wrong person, which is why RIS
    codebases do not flip; swapping the words keeps the sample true. No refseg config uses it
    by default. Place it before ``LetterBox``; after it the letterbox matrix is updated too.

    Required keys: ``img``, ``text``. Optional: ``seg_fields``, ``sentences``,
    ``letterbox_matrix``.

    Modified keys: ``img``, maps in ``seg_fields``, ``text``, ``sentences``, the letterbox
    matrix. Added keys: ``flip`` (bool), ``flip_direction`` (str | None).

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
        direction (str): 'horizontal' or 'vertical'. Defaults to 'horizontal'.
    """

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal') -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomTextFlip: prob must be in [0, 1], got {prob}')
        if direction not in SWAPS:
            raise ValueError(
                f'RandomTextFlip: direction must be one of {sorted(SWAPS)}, got {direction!r}'
            )
        self.prob = prob
        self.direction = direction

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        if not flip:
            return results
        axis = 1 if self.direction == 'horizontal' else 0
        results['img'] = np.ascontiguousarray(np.flip(results['img'], axis=axis))
        for key in results.get('seg_fields', []):
            results[key] = np.ascontiguousarray(np.flip(results[key], axis=axis))
        results['text'] = swap_spatial_words(results['text'], self.direction)
        if 'sentences' in results:
            results['sentences'] = [
                swap_spatial_words(sentence, self.direction) for sentence in results['sentences']
            ]
        if 'letterbox_matrix' in results:
            self._flip_letterbox(results, extent=results['img'].shape[axis])
        return results

    def _flip_letterbox(self, results: dict, extent: int) -> None:
        # Network coordinate c becomes extent - 1 - c along the flipped axis.
        row = 0 if self.direction == 'horizontal' else 1
        flip = np.eye(3)
        flip[row, row], flip[row, 2] = -1.0, extent - 1.0
        matrix = np.vstack([results['letterbox_matrix'], [0.0, 0.0, 1.0]])
        results['letterbox_matrix'] = (flip @ matrix)[:2]

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, direction={self.direction!r})'
