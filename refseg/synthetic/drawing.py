"""Rasterising objects: COCO annotations, masks and the painted image."""

from typing import List, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from .world import CATEGORY_IDS, COLOURS_RGB, SceneObject


def annotate(
    objects: Sequence[SceneObject], image: dict, first_ann_id: int
) -> Tuple[List[dict], List[np.ndarray]]:
    """COCO annotations of all objects of an image and their (h, w) uint8 masks.

    Sets each object's ``area`` to its mask's pixel count. Besides the COCO fields, each
    annotation carries the object's ``attributes`` (colour, size, centre, radius), which
    only the synthetic data has.
    """
    height, width = image['height'], image['width']
    annotations, masks = [], []
    for offset, obj in enumerate(objects):
        polygon = obj.polygon()
        rle = mask_utils.merge(mask_utils.frPyObjects([polygon], height, width))
        masks.append(mask_utils.decode(rle))
        obj.area = float(mask_utils.area(rle))
        annotations.append(
            dict(
                id=first_ann_id + offset,
                image_id=image['id'],
                category_id=CATEGORY_IDS[obj.shape],
                segmentation=[polygon],
                area=obj.area,
                bbox=[round(float(v), 2) for v in mask_utils.toBbox(rle)],
                iscrowd=0,
                attributes=dict(
                    colour=obj.colour, size=obj.size, center=[obj.x, obj.y], radius=obj.radius
                ),
            )
        )
    return annotations, masks


def paint(
    objects: Sequence[SceneObject],
    masks: Sequence[np.ndarray],
    rng: np.random.Generator,
    height: int,
    width: int,
) -> np.ndarray:
    """BGR uint8 image: light grey background with a gradient and brightness noise, objects
    filled."""
    # Near-grey, so that no object colour blends into the background.
    base = (rng.uniform(180, 235) + rng.uniform(-8, 8, size=3)).astype(np.float32)
    ramp = np.linspace(-1, 1, width, dtype=np.float32)[None, :, None] * rng.uniform(
        -12, 12, size=3
    ).astype(np.float32)
    img = base + ramp + 4 * rng.standard_normal((height, width, 1), dtype=np.float32)
    # Objects never overlap: one label map, and each label's colour shift from the base.
    labels = np.zeros((height, width), np.uint8)
    shifts = np.zeros((len(objects) + 1, 3), np.float32)
    for index, (obj, mask) in enumerate(zip(objects, masks), 1):
        labels += mask * np.uint8(index)
        shifts[index] = np.array(COLOURS_RGB[obj.colour]) + rng.uniform(-12, 12, size=3) - base
    img += shifts[labels]
    return np.clip(img, 0, 255).astype(np.uint8)[..., ::-1]
