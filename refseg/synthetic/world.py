"""The vocabulary of the synthetic world and the objects that live in it.

Sizes are equivalent-area radii, so a "small star" covers about as many pixels as a "small
square". All lengths are given for a 192-pixel image side and scale with the image
(:func:`scale_of`), so smaller test images keep the same layouts in miniature.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# Category ids follow this order (1-based); the first four are those of generator v1.
SHAPES = ('circle', 'square', 'triangle', 'star', 'diamond', 'cross', 'heart')
PLURALS = {
    'circle': 'circles',
    'square': 'squares',
    'triangle': 'triangles',
    'star': 'stars',
    'diamond': 'diamonds',
    'cross': 'crosses',
    'heart': 'hearts',
}
COLOURS_RGB = {
    'red': (215, 35, 35),
    'orange': (245, 135, 20),
    'yellow': (235, 200, 25),
    'green': (35, 160, 60),
    'cyan': (30, 190, 205),
    'blue': (40, 75, 215),
    'purple': (135, 55, 175),
    'pink': (240, 120, 190),
}
COLOURS = tuple(COLOURS_RGB)
SIZES = ('small', 'medium', 'big')
CATEGORY_IDS = {name: index + 1 for index, name in enumerate(SHAPES)}
# Equivalent-area radius ranges at a 192-px side; neighbours differ by >= 1.35x in area.
SIZE_RADII = {'small': (7.0, 9.0), 'medium': (10.5, 12.5), 'big': (14.5, 17.5)}
REFERENCE_SIDE = 192.0

Attrs = Tuple[Tuple[str, str], ...]
ATTR_KEYS = ('size', 'colour', 'shape')


def scale_of(height: int, width: int) -> float:
    """Length scale of an image relative to the 192-px reference side."""
    return min(height, width) / REFERENCE_SIDE


def _unit_outline(shape: str) -> np.ndarray:
    """(n, 2) outline of a shape around (0, 0), y pointing down, before area scaling."""
    if shape == 'circle':
        angles = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        return np.stack([np.cos(angles), np.sin(angles)], 1)
    if shape == 'square':
        return np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    if shape == 'diamond':
        return np.array([[0.0, -1.3], [0.85, 0.0], [0.0, 1.3], [-0.85, 0.0]])
    if shape == 'triangle':
        angles = -np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        return np.stack([np.cos(angles), np.sin(angles)], 1)
    if shape == 'star':  # five points, tips and notches alternating
        angles = -np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)
    if shape == 'cross':  # a plus sign with arms a third of its width
        a, b = 1 / 3, 1.0
        return np.array(
            [
                [-a, -b],
                [a, -b],
                [a, -a],
                [b, -a],
                [b, a],
                [a, a],
                [a, b],
                [-a, b],
                [-a, a],
                [-b, a],
                [-b, -a],
                [-a, -a],
            ]
        )
    if shape == 'heart':
        t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        xs = 16 * np.sin(t) ** 3
        ys = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        outline = np.stack([xs, ys + 2.5], 1) / 16
        return outline
    raise ValueError(f'unknown shape {shape!r}; expected one of {SHAPES}')


def _polygon_area(outline: np.ndarray) -> float:
    xs, ys = outline[:, 0], outline[:, 1]
    return 0.5 * abs(float(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))))


def _normalised_outlines() -> Dict[str, np.ndarray]:
    """Outlines scaled to the area of the unit circle (pi)."""
    outlines = {}
    for shape in SHAPES:
        outline = _unit_outline(shape)
        outlines[shape] = outline * np.sqrt(np.pi / _polygon_area(outline))
    return outlines


UNIT_OUTLINES = _normalised_outlines()
# Farthest outline point from the centre, per unit equivalent radius.
EXTENT = {shape: float(np.hypot(*o.T).max()) for shape, o in UNIT_OUTLINES.items()}


@dataclass
class SceneObject:
    """One drawn object.

    ``radius`` is the equivalent-area radius in pixels; ``area`` is the rasterised mask's
    pixel count, filled in once the mask is drawn (sizes compare on it).
    """

    shape: str
    colour: str
    size: str
    x: float
    y: float
    radius: float
    area: Optional[float] = field(default=None, compare=False)

    @property
    def extent(self) -> float:
        return EXTENT[self.shape] * self.radius

    def attr(self, key: str) -> str:
        return getattr(self, key)

    def attrs(self, keys: Sequence[str] = ATTR_KEYS) -> Attrs:
        return tuple((key, self.attr(key)) for key in keys)

    def polygon(self) -> List[float]:
        """COCO polygon [x0, y0, x1, y1, ...] of the outline."""
        points = UNIT_OUTLINES[self.shape] * self.radius + (self.x, self.y)
        return [round(float(v), 2) for v in points.reshape(-1)]


def matches(obj: SceneObject, attrs: Attrs) -> bool:
    return all(obj.attr(key) == value for key, value in attrs)


def members(objects, attrs: Attrs) -> List[int]:
    """Indices of the objects with the given attribute values."""
    return [i for i, obj in enumerate(objects) if matches(obj, attrs)]
