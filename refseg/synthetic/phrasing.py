"""How expressions and captions are worded (lower case English)."""

from typing import Sequence

import numpy as np

from .expressions import Expression
from .world import PLURALS, Attrs, SceneObject

ORDINALS = {2: 'second', 3: 'third'}
NUMBERS = {1: 'one', 2: 'two', 3: 'three', 4: 'four', 5: 'five', 6: 'six', 7: 'seven', 8: 'eight'}
SIDES = {('x', -1): 'left', ('x', 1): 'right', ('y', -1): 'top', ('y', 1): 'bottom'}


def noun_phrase(attrs: Attrs, rng: np.random.Generator, plural: bool = False) -> str:
    """'[size] [colour] noun'; without a shape the noun is 'shape', 'object' or 'one'."""
    values = dict(attrs)
    words = [values[k] for k in ('size', 'colour') if k in values]
    if 'shape' in values:
        noun = PLURALS[values['shape']] if plural else values['shape']
    else:
        nouns = ['shape', 'object', 'one'] if words else ['shape', 'object']
        noun = str(rng.choice(nouns)) + ('s' if plural else '')
    return ' '.join(words + [noun])


def with_article(phrase: str) -> str:
    """'a red star', 'an orange star'."""
    return ('an ' if phrase[0] in 'aeiou' else 'a ') + phrase


def object_phrase(obj: SceneObject) -> str:
    """'a small red star': every attribute of one object."""
    return with_article(f'{obj.size} {obj.colour} {obj.shape}')


def region_words(sx: int, sy: int) -> Sequence[str]:
    if sx and sy:
        corner = f'{SIDES[("y", sy)]} {SIDES[("x", sx)]}'
        return [f'in the {corner} corner', f'in the {corner} quarter']
    if sx:
        side = SIDES[('x', sx)]
        return [f'on the {side} side', f'in the {side} half']
    return {
        -1: ['in the top half', 'in the upper half'],
        1: ['in the bottom half', 'in the lower half'],
    }[sy]


def render(expr: Expression, rng: np.random.Generator) -> str:
    """One English phrasing of an expression that selects a single object."""
    np_ = noun_phrase(expr.attrs, rng)
    selector = expr.selector
    kind = None if selector is None else selector[0]
    if kind is None:
        options = [f'the {np_}', np_]
    elif kind == 'extreme':
        _, axis, sign = selector
        side = SIDES[(axis, sign)]
        if axis == 'x':
            options = [f'the {side}most {np_}', f'the {np_} on the far {side}']
        else:
            est = 'highest' if sign < 0 else 'lowest'
            options = [f'the {side}most {np_}', f'the {est} {np_}', f'the {np_} at the very {side}']
    elif kind == 'ordinal':
        _, axis, sign, k = selector
        options = [f'the {ORDINALS[k]} {np_} from the {SIDES[(axis, sign)]}']
    elif kind == 'superlative':
        options = ['the biggest {}', 'the largest {}'] if selector[1] > 0 else ['the smallest {}']
        options = [option.format(np_) for option in options]
    elif kind == 'region':
        options = [f'the {np_} {words}' for words in region_words(*selector[1:])]
    elif kind == 'centre':
        options = [f'the {np_} closest to the centre', f'the {np_} nearest the middle']
    elif kind == 'relation':
        _, axis, sign, landmark = selector
        lm = f'the {noun_phrase(landmark, rng)}'
        if axis == 'x':
            side = SIDES[(axis, sign)]
            options = [f'the {np_} {side} of {lm}', f'the {np_} to the {side} of {lm}']
        elif sign < 0:
            options = [f'the {np_} above {lm}']
        else:
            options = [f'the {np_} below {lm}', f'the {np_} under {lm}']
    elif kind == 'nearest':
        lm = f'the {noun_phrase(selector[1], rng)}'
        options = [
            f'the {np_} next to {lm}',
            f'the {np_} closest to {lm}',
            f'the {np_} nearest {lm}',
        ]
    else:
        raise ValueError(f'unknown selector {selector!r}')
    return str(rng.choice(options))
