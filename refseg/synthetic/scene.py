"""Sampling the objects of one image: how many, which attributes, where."""

from typing import List

import numpy as np

from .world import COLOURS, SHAPES, SIZE_RADII, SIZES, SceneObject, scale_of

# 4-8 objects, more often many: a random object is then right for about 1 in 6.
NUM_OBJECTS = (4, 5, 6, 7, 8)
NUM_OBJECTS_P = (0.1, 0.15, 0.25, 0.25, 0.25)
GAP = 2.0  # px kept free between the extents of two objects


def sample_objects(rng: np.random.Generator, height: int, width: int) -> List[SceneObject]:
    """4-8 non-overlapping objects whose attributes repeat on purpose.

    Each image draws its objects from 2-4 shapes and 2-4 colours, so most objects share a
    shape or a colour with another and an expression must combine attributes, sizes or
    positions to single one out.
    """
    scale = scale_of(height, width)
    while True:
        num = int(rng.choice(NUM_OBJECTS, p=NUM_OBJECTS_P))
        shape_pool = rng.choice(SHAPES, int(rng.integers(2, 5)), replace=False)
        colour_pool = rng.choice(COLOURS, int(rng.integers(2, 5)), replace=False)
        objects: List[SceneObject] = []
        for _ in range(num):
            shape, colour = str(rng.choice(shape_pool)), str(rng.choice(colour_pool))
            size = str(rng.choice(SIZES))
            radius = float(rng.uniform(*SIZE_RADII[size])) * scale
            candidate = SceneObject(shape, colour, size, 0.0, 0.0, round(radius, 2))
            extent = candidate.extent
            for _ in range(50):
                x = float(rng.uniform(extent + 1, width - extent - 1))
                y = float(rng.uniform(extent + 1, height - extent - 1))
                if all(np.hypot(x - o.x, y - o.y) >= extent + o.extent + GAP for o in objects):
                    candidate.x, candidate.y = round(x, 2), round(y, 2)
                    objects.append(candidate)
                    break
        if len(objects) >= 4:
            return objects
