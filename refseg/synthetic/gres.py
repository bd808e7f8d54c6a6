"""Generalised referring expressions (the gRefCOCO setting): one, several or no target.

Multi-target expressions select a set of two or more objects:

- ``Expression(attrs)``: every object with the attributes ("all the red shapes"),
- ``('side', axis, sign, k)``: the k members nearest one side ("the two stars on the left"),
- ``('region', sx, sy)``: the members in a half or quarter of the image,
- ``('relation', axis, sign, landmark)``: the members left of / right of / above / below a
  landmark.

No-target expressions are singular and select nothing: an attribute combination absent from
the image whose values all occur in it ("the blue heart" beside blue shapes and hearts), or a
relation no member satisfies ("the circle above the green star").
"""

from itertools import combinations
from typing import Dict, List, Optional, Tuple

import numpy as np

from .expressions import (
    REGIONS,
    Expression,
    Scene,
    candidate_expressions,
    landmark_attrs,
    region_offset,
)
from .phrasing import NUMBERS, SIDES, noun_phrase, region_words, render
from .referents import pick_texts, referent_weights
from .world import ATTR_KEYS, Attrs

KINDS = ('single', 'multi', 'none')
KIND_P = (0.6, 0.25, 0.15)
REFS_PER_IMAGE = 3
Targets = Tuple[int, ...]


def _offsets_clear(offsets: Dict[int, float], margin: float) -> Optional[List[int]]:
    """The indices with offset >= margin when every other one is <= -margin."""
    if any(-margin < d < margin for d in offsets.values()):
        return None
    return [i for i, d in offsets.items() if d >= margin]


def resolve_group(expr: Expression, scene: Scene) -> Optional[Targets]:
    """The 2+ objects a multi-target expression selects (sorted), or None if unclear."""
    group = scene.group(expr.attrs)
    selector = expr.selector
    if selector is None:
        return tuple(group) if len(group) >= 2 else None
    kind = selector[0]
    if kind == 'side':
        _, axis, sign, k = selector
        if len(group) <= k:
            return None
        order = sorted(group, key=lambda i: sign * -scene.coord(i, axis))
        gap = abs(scene.coord(order[k], axis) - scene.coord(order[k - 1], axis))
        return tuple(sorted(order[:k])) if gap >= scene.margin else None
    if kind == 'region':
        offsets = {i: region_offset(scene, i, *selector[1:]) for i in group}
    elif kind == 'relation':
        _, axis, sign, landmark = selector
        landmarks = scene.group(landmark)
        if len(landmarks) != 1:
            return None
        ref = scene.coord(landmarks[0], axis)
        offsets = {i: sign * (scene.coord(i, axis) - ref) for i in group if i != landmarks[0]}
    else:
        raise ValueError(f'unknown multi-target selector {selector!r}')
    inside = _offsets_clear(offsets, scene.margin)
    # At least one member left out, so that the selector matters.
    if inside is None or len(inside) < 2 or len(inside) == len(offsets):
        return None
    return tuple(sorted(inside))


def _attribute_filters(scene: Scene) -> List[Attrs]:
    filters = set()
    for obj in scene.objects:
        for r in range(len(ATTR_KEYS) + 1):
            for keys in combinations(ATTR_KEYS, r):
                filters.add(obj.attrs(keys))
    return sorted(filters)


def _landmarks(scene: Scene, rng: np.random.Generator, num: int = 3) -> List[Attrs]:
    found = []
    for i in rng.permutation(len(scene.objects)):
        attrs = landmark_attrs(scene, int(i))
        if attrs is not None:
            found.append(attrs)
        if len(found) == num:
            break
    return found


def multi_target_expressions(
    scene: Scene, rng: np.random.Generator
) -> Dict[Targets, List[Expression]]:
    """Multi-target expressions of a scene, keyed by the objects they select."""
    landmarks = _landmarks(scene, rng)
    found: Dict[Targets, List[Expression]] = {}
    for attrs in _attribute_filters(scene):
        if len(scene.group(attrs)) < 2:
            continue
        selectors = [None]
        selectors += [
            ('side', axis, sign, k) for axis in ('x', 'y') for sign in (-1, 1) for k in (2, 3)
        ]
        selectors += [('region', sx, sy) for sx, sy in REGIONS]
        selectors += [
            ('relation', axis, sign, lm)
            for lm in landmarks
            for axis in ('x', 'y')
            for sign in (-1, 1)
        ]
        for selector in selectors:
            expr = Expression(attrs, selector)
            targets = resolve_group(expr, scene)
            if targets is not None:
                found.setdefault(targets, []).append(expr)
    return found


def render_group(expr: Expression, num_targets: int, rng: np.random.Generator) -> str:
    """One English phrasing of a multi-target expression selecting ``num_targets``."""
    plural = noun_phrase(expr.attrs, rng, plural=True)
    selector = expr.selector
    if selector is None:
        options = [f'all the {plural}', f'the {plural}']
        if num_targets in (2, 3):
            options.append(f'the {NUMBERS[num_targets]} {plural}')
        if num_targets == 2:
            options.append(f'both {plural}')
    elif selector[0] == 'side':
        _, axis, sign, k = selector
        side = SIDES[(axis, sign)]
        where = f'on the {side}' if axis == 'x' else f'at the {side}'
        options = [f'the {NUMBERS[k]} {side}most {plural}', f'the {NUMBERS[k]} {plural} {where}']
    elif selector[0] == 'region':
        options = [f'the {plural} {words}' for words in region_words(*selector[1:])]
        options += [f'all the {plural} {words}' for words in region_words(*selector[1:])]
    else:
        _, axis, sign, landmark = selector
        lm = f'the {noun_phrase(landmark, rng)}'
        word = {('x', -1): 'left of', ('x', 1): 'right of', ('y', -1): 'above', ('y', 1): 'below'}[
            (axis, sign)
        ]
        options = [f'the {plural} {word} {lm}', f'all the {plural} {word} {lm}']
    return str(rng.choice(options))


def no_target_expressions(
    scene: Scene, rng: np.random.Generator
) -> Tuple[List[Expression], List[Expression]]:
    """Singular expressions that select nothing in the scene: absent combinations of present
    attribute values, and relations no member satisfies (two lists)."""
    present = {key: sorted({obj.attr(key) for obj in scene.objects}) for key in ATTR_KEYS}
    absent, unrelated = [], []
    for keys in (('colour', 'shape'), ('size', 'shape'), ('size', 'colour', 'shape')):
        for values in np.array(np.meshgrid(*[present[k] for k in keys])).reshape(len(keys), -1).T:
            attrs = tuple(zip(keys, (str(v) for v in values)))
            if not scene.group(attrs):
                absent.append(Expression(attrs))
    for landmark in _landmarks(scene, rng):
        lm_index = scene.group(landmark)[0]
        for attrs in _attribute_filters(scene):
            group = [i for i in scene.group(attrs) if i != lm_index]
            if not group or not attrs:
                continue
            for axis in ('x', 'y'):
                for sign in (-1, 1):
                    ref = scene.coord(lm_index, axis)
                    offsets = {i: sign * (scene.coord(i, axis) - ref) for i in group}
                    if all(d <= -scene.margin for d in offsets.values()):
                        unrelated.append(Expression(attrs, ('relation', axis, sign, landmark)))
    return absent, unrelated


def _choose(items: list, rng: np.random.Generator, num: int) -> list:
    return [items[i] for i in rng.choice(len(items), min(num, len(items)), replace=False)]


def image_grefs(scene: Scene, rng: np.random.Generator) -> List[Tuple[str, Targets, List[str]]]:
    """``REFS_PER_IMAGE`` generalised refs of one image: (kind, object indices, sentences),
    the kind drawn single / multi / none with probabilities :data:`KIND_P`."""
    multi = none = None  # computed when first needed
    refs = []
    used = set()
    for _ in range(REFS_PER_IMAGE):
        kind = str(rng.choice(KINDS, p=KIND_P))
        if kind == 'multi':
            multi = multi_target_expressions(scene, rng) if multi is None else multi
        if kind == 'multi' and multi:
            options = [t for t in sorted(multi) if t not in used] or sorted(multi)
            targets = options[int(rng.integers(len(options)))]
            texts = []
            for expr in _choose(multi[targets], rng, 2):
                text = render_group(expr, len(targets), rng)
                if text not in texts:
                    texts.append(text)
            refs.append(('multi', targets, texts))
            used.add(targets)
            continue
        if kind == 'none':
            none = no_target_expressions(scene, rng) if none is None else none
        if kind == 'none' and (none[0] or none[1]):
            # An absent attribute combination first where there is one.
            exprs = _choose(none[0], rng, 1) + _choose(none[0] + none[1], rng, 2)
            texts = list(dict.fromkeys(render(expr, rng) for expr in exprs))[:2]
            refs.append(('none', (), texts))
            continue
        order = rng.choice(
            len(scene.objects), len(scene.objects), replace=False, p=referent_weights(scene)
        )
        for target in order:
            if (int(target),) in used:
                continue
            texts = pick_texts(candidate_expressions(scene, int(target), rng), rng, 2)
            if texts:
                refs.append(('single', (int(target),), texts))
                used.add((int(target),))
                break
    return refs
