"""What an expression means: an attribute filter plus an optional selector, and the one
object (or none) it picks out in a scene.

Selectors (``axis`` is 'x' or 'y'; ``sign`` -1 means left/top, +1 right/bottom):

- ``('extreme', axis, sign)``: leftmost / rightmost / topmost / bottommost member,
- ``('ordinal', axis, sign, k)``: the k-th member (k = 2, 3) counted from one side,
- ``('superlative', sign)``: the biggest (+1) or smallest (-1) member by pixel area,
- ``('region', sx, sy)``: the only member in a half (one sign 0) or a quarter of the image,
- ``('centre',)``: the member nearest the image centre,
- ``('relation', axis, sign, landmark)``: the only member left of / right of / above /
  below a landmark (attributes that single out one other object),
- ``('nearest', landmark)``: the member closest to the landmark.

Selectors apply to groups of two or more (three for ordinals) so that the word carries
information, and only where the answer is clear by a margin (:data:`MARGIN` pixels at a
192-px side, :data:`AREA_RATIO` for sizes, :data:`DISTANCE_RATIO` for distances).
"""

import functools
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np

from .world import ATTR_KEYS, Attrs, SceneObject, members, scale_of

MARGIN = 8.0  # px at a 192-px side
AREA_RATIO = 1.3
DISTANCE_RATIO = 1.4
# Region selector signs: the halves, then the quarters.
REGIONS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1))


@dataclass(frozen=True)
class Expression:
    """A referring expression before wording: attribute filter and optional selector."""

    attrs: Attrs
    selector: Optional[tuple] = None


class Scene:
    """Objects of one image with cached attribute groups, for resolving expressions."""

    def __init__(self, objects: Sequence[SceneObject], height: int, width: int) -> None:
        self.objects = list(objects)
        self.height, self.width = height, width
        self.margin = MARGIN * scale_of(height, width)
        self.group = functools.lru_cache(maxsize=None)(self._group)
        # target -> candidate expressions, filled by candidate_expressions.
        self.candidates: Dict[int, Dict[str, List['Expression']]] = {}

    def _group(self, attrs: Attrs) -> List[int]:
        return members(self.objects, attrs)

    def coord(self, index: int, axis: str) -> float:
        obj = self.objects[index]
        return obj.x if axis == 'x' else obj.y

    def distance(self, index: int, x: float, y: float) -> float:
        obj = self.objects[index]
        return float(np.hypot(obj.x - x, obj.y - y))

    def area(self, index: int) -> float:
        area = self.objects[index].area
        if area is None:
            raise ValueError('object areas must be set (from the masks) before sizes compare')
        return area


def region_offset(scene: Scene, index: int, sx: int, sy: int) -> float:
    """How far inside (> 0) or outside (< 0) a half (one sign 0) or quarter an object is."""
    obj = scene.objects[index]
    parts = []
    if sx:
        parts.append(sx * (obj.x - scene.width / 2))
    if sy:
        parts.append(sy * (obj.y - scene.height / 2))
    return min(parts)


def _clear_single(offsets: Dict[int, float], margin: float) -> Optional[int]:
    """The one index with offset >= margin when all others are <= -margin, else None."""
    inside = [i for i, d in offsets.items() if d >= margin]
    outside = [i for i, d in offsets.items() if d <= -margin]
    if len(inside) == 1 and len(inside) + len(outside) == len(offsets):
        return inside[0]
    return None


def _clear_nearest(distances: Dict[int, float], margin: float) -> Optional[int]:
    first, second = sorted(distances, key=distances.get)[:2]
    near, far = distances[first], distances[second]
    return first if far >= DISTANCE_RATIO * near and far - near >= margin else None


def _ranked(scene: Scene, group: List[int], axis: str, sign: int, k: int) -> Optional[int]:
    """The k-th member (1-based) counted from one side, if its neighbours are clear."""
    order = sorted(group, key=lambda i: sign * -scene.coord(i, axis))
    coords = [scene.coord(i, axis) for i in order]
    if k > 1 and abs(coords[k - 1] - coords[k - 2]) < scene.margin:
        return None
    if k < len(order) and abs(coords[k] - coords[k - 1]) < scene.margin:
        return None
    return order[k - 1]


def resolve(expr: Expression, scene: Scene) -> Optional[int]:
    """Index of the one object an expression selects, or None if ambiguous or empty."""
    group = scene.group(expr.attrs)
    selector = expr.selector
    if selector is None:
        return group[0] if len(group) == 1 else None
    kind = selector[0]
    if kind in ('relation', 'nearest'):
        landmarks = scene.group(selector[-1])
        if len(landmarks) != 1:
            return None
        landmark = landmarks[0]
        group = [i for i in group if i != landmark]
        if len(group) < 2:
            return None
        lx, ly = scene.objects[landmark].x, scene.objects[landmark].y
        if kind == 'nearest':
            return _clear_nearest({i: scene.distance(i, lx, ly) for i in group}, scene.margin)
        _, axis, sign, _ = selector
        ref = lx if axis == 'x' else ly
        return _clear_single({i: sign * (scene.coord(i, axis) - ref) for i in group}, scene.margin)
    if len(group) < 2:
        return None
    if kind == 'extreme':
        _, axis, sign = selector
        return _ranked(scene, group, axis, sign, 1)
    if kind == 'ordinal':
        _, axis, sign, k = selector
        return _ranked(scene, group, axis, sign, k) if len(group) >= max(3, k) else None
    if kind == 'superlative':
        first, second = sorted(group, key=lambda i: -selector[1] * scene.area(i))[:2]
        big, small = sorted((scene.area(first), scene.area(second)), reverse=True)
        return first if big >= AREA_RATIO * small else None
    if kind == 'region':
        return _clear_single(
            {i: region_offset(scene, i, *selector[1:]) for i in group}, scene.margin
        )
    if kind == 'centre':
        cx, cy = scene.width / 2, scene.height / 2
        return _clear_nearest({i: scene.distance(i, cx, cy) for i in group}, scene.margin)
    raise ValueError(f'unknown selector {selector!r}')


def attr_subsets(obj: SceneObject, keys: Sequence[str] = ATTR_KEYS) -> Iterator[Attrs]:
    """Every subset of an object's attribute values, smallest first."""
    subsets = [
        tuple((k, obj.attr(k)) for bit, k in enumerate(keys) if mask >> bit & 1)
        for mask in range(1 << len(keys))
    ]
    return iter(sorted(subsets, key=len))


def landmark_attrs(scene: Scene, index: int) -> Optional[Attrs]:
    """The shortest attribute description that singles out one object, if any."""
    for attrs in attr_subsets(scene.objects[index]):
        if attrs and scene.group(attrs) == [index]:
            return attrs
    return None


def _selectors(attrs: Attrs, landmarks: Sequence[Attrs]) -> Iterator[tuple]:
    for axis in ('x', 'y'):
        for sign in (-1, 1):
            yield 'extreme', ('extreme', axis, sign)
            for k in (2, 3):
                yield 'ordinal', ('ordinal', axis, sign, k)
    if 'size' not in dict(attrs):
        for sign in (-1, 1):
            yield 'superlative', ('superlative', sign)
    for sx, sy in REGIONS:
        yield 'region', ('region', sx, sy)
    yield 'centre', ('centre',)
    for landmark in landmarks:
        for axis in ('x', 'y'):
            for sign in (-1, 1):
                yield 'relation', ('relation', axis, sign, landmark)
        yield 'nearest', ('nearest', landmark)


def candidate_expressions(
    scene: Scene, target: int, rng: np.random.Generator, max_landmarks: int = 3
) -> Dict[str, List[Expression]]:
    """Expressions that select exactly ``target``, keyed by kind.

    Up to ``max_landmarks`` other objects (drawn at random among those with a unique
    description) serve as landmarks, which bounds the work per target. The result is
    computed once per scene and target (with the landmarks drawn on the first call) and
    kept in ``scene.candidates``.
    """
    if target in scene.candidates:
        return scene.candidates[target]
    others = [i for i in rng.permutation(len(scene.objects)) if i != target]
    landmarks = []
    for i in others:
        attrs = landmark_attrs(scene, int(i))
        if attrs is not None:
            landmarks.append(attrs)
        if len(landmarks) == max_landmarks:
            break
    found: Dict[str, List[Expression]] = {}
    for attrs in attr_subsets(scene.objects[target]):
        group = scene.group(attrs)
        if len(group) == 1:
            if attrs:
                found.setdefault('attribute', []).append(Expression(attrs))
            continue
        for kind, selector in _selectors(attrs, landmarks):
            expr = Expression(attrs, selector)
            if resolve(expr, scene) == target:
                found.setdefault(kind, []).append(expr)
    scene.candidates[target] = found
    return found
