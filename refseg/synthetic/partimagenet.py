"""A tiny, deterministic PartImageNet look-alike for tests and demos.

Each image shows one synthetic object of one of the 11 superclasses, drawn as coloured
polygons, one polygon per part instance (a quadruped is a body, a head, four feet and a
tail; a car a body, two tires and a side mirror ...). The files follow the real releases:

* ``layout='seg'``: ``images/<split>/<wnid>_<n>.JPEG``,
  ``annotations/<split>/<split>.json`` (COCO style, the 40 official part categories with
  ids 0-39) and ``annotations/<split>/<wnid>_<n>.png`` part label maps (40 = background);
* ``layout='ood'``: ``<split>/<wnid>/<wnid>_<n>.JPEG`` and ``<split>.json`` with bare file
  names (no label maps).

With ``with_defects=True`` the first image of every split also carries the defects the real
files have, so that the loader's hygiene is exercised: a polygon of 4 coordinates inside a
valid annotation, an annotation whose only polygon has an odd number of coordinates, an
annotation with ``area == 0`` and a sub-pixel annotation of a part absent from the image
(its union rasterises to nothing).
"""

import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from refseg.datasets.imagenet_classes import PARTIMAGENET_OBJECT_CLASSES
from refseg.datasets.partimagenet import PARTIMAGENET_CATEGORIES

Polygon = List[Tuple[float, float]]

SUPERCLASSES = (
    'Quadruped',
    'Biped',
    'Fish',
    'Bird',
    'Snake',
    'Reptile',
    'Car',
    'Bicycle',
    'Boat',
    'Aeroplane',
    'Bottle',
)
DEFAULT_NUM_IMAGES = dict(train=22, val=11, test=11)
BACKGROUND_LABEL = 40


def _ellipse(cx: float, cy: float, rx: float, ry: float, num: int = 16) -> Polygon:
    angles = np.linspace(0, 2 * np.pi, num, endpoint=False)
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


def _rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


# Each superclass: (part, instances) in drawing order, in unit coordinates of the object
# box. Parts drawn later occlude earlier ones, as a head in front of a body.
OBJECT_SHAPES: Dict[str, List[Tuple[str, List[Polygon]]]] = {
    'Quadruped': [
        ('Tail', [[(0.22, 0.40), (0.04, 0.22), (0.08, 0.18), (0.25, 0.34)]]),
        ('Foot', [_rect(x, 0.52, x + 0.06, 0.88) for x in (0.26, 0.36, 0.60, 0.70)]),
        ('Body', [_ellipse(0.50, 0.45, 0.30, 0.15)]),
        ('Head', [_ellipse(0.84, 0.28, 0.11, 0.10)]),
    ],
    'Biped': [
        ('Tail', [[(0.40, 0.55), (0.15, 0.75), (0.18, 0.80), (0.42, 0.60)]]),
        ('Foot', [_rect(0.39, 0.60, 0.47, 0.92), _rect(0.53, 0.60, 0.61, 0.92)]),
        ('Body', [_rect(0.36, 0.26, 0.64, 0.62)]),
        ('Hand', [_ellipse(0.28, 0.50, 0.06, 0.06), _ellipse(0.72, 0.50, 0.06, 0.06)]),
        ('Head', [_ellipse(0.50, 0.15, 0.11, 0.11)]),
    ],
    'Fish': [
        ('Tail', [[(0.25, 0.50), (0.04, 0.30), (0.04, 0.70)]]),
        ('Fin', [[(0.42, 0.40), (0.58, 0.40), (0.50, 0.16)]]),
        ('Body', [_ellipse(0.50, 0.50, 0.28, 0.16)]),
        ('Head', [_ellipse(0.80, 0.50, 0.11, 0.13)]),
    ],
    'Bird': [
        ('Tail', [[(0.33, 0.50), (0.08, 0.40), (0.08, 0.62)]]),
        ('Foot', [_rect(0.44, 0.58, 0.48, 0.90), _rect(0.54, 0.58, 0.58, 0.90)]),
        ('Body', [_ellipse(0.50, 0.50, 0.20, 0.12)]),
        ('Wing', [[(0.42, 0.46), (0.62, 0.46), (0.50, 0.12)]]),
        ('Head', [_ellipse(0.74, 0.34, 0.08, 0.08)]),
    ],
    'Snake': [
        (
            'Body',
            [
                [
                    (0.05, 0.70),
                    (0.30, 0.40),
                    (0.55, 0.70),
                    (0.80, 0.40),
                    (0.80, 0.55),
                    (0.55, 0.85),
                    (0.30, 0.55),
                    (0.05, 0.85),
                ]
            ],
        ),
        ('Head', [_ellipse(0.86, 0.42, 0.09, 0.07)]),
    ],
    'Reptile': [
        ('Tail', [[(0.25, 0.48), (0.02, 0.56), (0.25, 0.56)]]),
        ('Foot', [_rect(x, 0.55, x + 0.05, 0.72) for x in (0.30, 0.38, 0.60, 0.68)]),
        ('Body', [_ellipse(0.50, 0.50, 0.27, 0.09)]),
        ('Head', [_ellipse(0.82, 0.48, 0.08, 0.06)]),
    ],
    'Car': [
        (
            'Body',
            [
                [
                    (0.08, 0.42),
                    (0.30, 0.42),
                    (0.38, 0.25),
                    (0.70, 0.25),
                    (0.78, 0.42),
                    (0.92, 0.45),
                    (0.92, 0.72),
                    (0.08, 0.72),
                ]
            ],
        ),
        ('Tier', [_ellipse(0.27, 0.72, 0.10, 0.10), _ellipse(0.73, 0.72, 0.10, 0.10)]),
        ('Side Mirror', [_rect(0.72, 0.34, 0.80, 0.40)]),
    ],
    'Bicycle': [
        ('Tier', [_ellipse(0.25, 0.70, 0.17, 0.17), _ellipse(0.75, 0.70, 0.17, 0.17)]),
        ('Body', [[(0.25, 0.70), (0.48, 0.42), (0.75, 0.70), (0.55, 0.70)]]),
        ('Seat', [_rect(0.40, 0.34, 0.56, 0.40)]),
        ('Head', [_rect(0.66, 0.28, 0.80, 0.36)]),
    ],
    'Boat': [
        ('Body', [[(0.05, 0.62), (0.95, 0.62), (0.80, 0.85), (0.20, 0.85)]]),
        ('Sail', [[(0.48, 0.10), (0.48, 0.58), (0.85, 0.58)]]),
    ],
    'Aeroplane': [
        (
            'Wing',
            [
                [(0.45, 0.50), (0.60, 0.50), (0.40, 0.90), (0.32, 0.90)],
                [(0.45, 0.50), (0.60, 0.50), (0.40, 0.10), (0.32, 0.10)],
            ],
        ),
        ('Engine', [_ellipse(0.45, 0.70, 0.05, 0.03), _ellipse(0.45, 0.30, 0.05, 0.03)]),
        ('Body', [_ellipse(0.50, 0.50, 0.36, 0.07)]),
        ('Tail', [[(0.14, 0.50), (0.06, 0.30), (0.12, 0.30), (0.22, 0.48)]]),
        ('Head', [_ellipse(0.86, 0.50, 0.06, 0.06)]),
    ],
    'Bottle': [
        ('Body', [_rect(0.35, 0.35, 0.65, 0.95)]),
        ('Mouth', [_rect(0.44, 0.08, 0.56, 0.35)]),
    ],
}


def _category_table() -> Dict[Tuple[str, str], int]:
    """(superclass, part) -> official category id."""
    return {
        (superclass, name[len(superclass) + 1 :]): cat_id
        for cat_id, name, superclass in PARTIMAGENET_CATEGORIES
    }


def _part_colour(category_id: int) -> np.ndarray:
    """A fixed, well separated BGR colour per part category."""
    hue = (category_id * 47) % 180
    hsv = np.uint8([[[hue, 200, 90 + (category_id * 37) % 150]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.int16)


def _shoelace_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _place(polygon: Polygon, box: Tuple[float, float, float, float], flip: bool) -> np.ndarray:
    x0, y0, size_x, size_y = box
    points = np.asarray(polygon, dtype=np.float64)
    if flip:
        points[:, 0] = 1 - points[:, 0]
    return np.stack([x0 + points[:, 0] * size_x, y0 + points[:, 1] * size_y], axis=1)


def _draw_object(
    rng: np.random.Generator,
    superclass: str,
    height: int,
    width: int,
    category_ids: Dict[Tuple[str, str], int],
):
    """Render one object; returns the image, the label map and (category, polygon) list."""
    background = rng.integers(150, 256, size=3)
    image = np.empty((height, width, 3), np.int16)
    image[:] = background
    image += rng.integers(-12, 13, size=image.shape, dtype=np.int16)
    label_map = np.full((height, width), BACKGROUND_LABEL, np.uint8)
    scale = rng.uniform(0.65, 0.95)
    size_x, size_y = scale * width, scale * height
    box = (rng.uniform(0, width - size_x), rng.uniform(0, height - size_y), size_x, size_y)
    flip = bool(rng.integers(2))
    instances = []
    for part, polygons in OBJECT_SHAPES[superclass]:
        category_id = category_ids[(superclass, part)]
        colour = _part_colour(category_id) + rng.integers(-15, 16, size=3)
        for polygon in polygons:
            points = np.round(_place(polygon, box, flip), 2)
            # Rasterised as the loaders will decode the annotation, so that image, label
            # map and polygons agree pixel for pixel.
            inside = mask_utils.decode(
                mask_utils.frPyObjects([points.ravel().tolist()], height, width)
            )[..., 0].astype(bool)
            image[inside] = colour
            label_map[inside] = category_id
            instances.append((category_id, points))
    return np.clip(image, 0, 255).astype(np.uint8), label_map, instances


def _annotation(
    ann_id: int,
    image_id: int,
    category_id: int,
    polygons: Sequence[np.ndarray],
    area: Optional[float] = None,
) -> dict:
    flat = [[float(v) for v in poly.ravel()] for poly in polygons]
    points = np.concatenate(
        [poly.ravel()[: poly.size // 2 * 2].reshape(-1, 2) for poly in polygons]
    )
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    if area is None:
        area = sum(
            _shoelace_area(poly.reshape(-1, 2))
            for poly in polygons
            if poly.size >= 6 and poly.size % 2 == 0
        )
    return dict(
        id=ann_id,
        image_id=image_id,
        category_id=category_id,
        segmentation=flat,
        area=round(float(area), 2),
        bbox=[round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)],
        iscrowd=0,
    )


def _defect_annotations(
    next_id: int, image_id: int, instances: list, height: int, width: int
) -> List[dict]:
    """The real files' defects, attached to one image (see the module docstring)."""
    present = sorted({category_id for category_id, _ in instances})
    first_category, first_polygon = instances[0]
    absent = next(cat_id for cat_id, _, _ in PARTIMAGENET_CATEGORIES if cat_id not in present)
    short = np.array([[1.0, 1.0], [2.0, 1.5]])
    odd = np.array([3.0, 3.0, 6.0, 3.0, 4.0])
    line = np.array([[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]])
    tiny = np.array([[0.1, 0.1], [0.3, 0.1], [0.2, 0.3]]) + (width / 2, height / 2)
    return [
        _annotation(next_id, image_id, first_category, [first_polygon, short]),
        _annotation(next_id + 1, image_id, first_category, [odd], area=5.0),
        _annotation(next_id + 2, image_id, present[-1], [line], area=0.0),
        _annotation(next_id + 3, image_id, absent, [tiny], area=0.02),
    ]


def generate_partimagenet(
    root: str,
    num_images: Optional[Dict[str, int]] = None,
    seed: int = 0,
    layout: str = 'seg',
    image_size: Tuple[int, int] = (64, 128),
    with_defects: bool = True,
) -> Dict[str, dict]:
    """Write a tiny PartImageNet-format dataset under ``root``.

    Superclasses cycle through the 11 in a fixed order, so a split of 11 or more images
    shows all 40 part categories. The same arguments always give the same files.

    Args:
        root (str): Output folder (created).
        num_images (dict[str, int], optional): Images per split. Defaults to
            ``DEFAULT_NUM_IMAGES`` (train 22, val 11, test 11).
        seed (int): Random seed. Defaults to 0.
        layout (str): ``'seg'`` or ``'ood'`` (see the module docstring).
        image_size (tuple[int, int]): Range of the image height and width in pixels.
        with_defects (bool): Add the defective annotations of the real files to the first
            image of every split. Defaults to True.

    Returns:
        dict[str, dict]: Per split, ``images``, ``annotations`` and ``ann_file``.
    """
    if layout not in ('seg', 'ood'):
        raise ValueError(f"layout must be 'seg' or 'ood', got {layout!r}")
    num_images = dict(DEFAULT_NUM_IMAGES if num_images is None else num_images)
    low, high = image_size
    if not 32 <= low <= high:
        raise ValueError(f'image_size must be (low, high) with 32 <= low <= high, got {image_size}')
    category_ids = _category_table()
    wnids = {
        superclass: sorted(
            w for w, (_, s) in PARTIMAGENET_OBJECT_CLASSES.items() if s == superclass
        )
        for superclass in SUPERCLASSES
    }
    categories = [
        dict(id=cat_id, name=name, supercategory=superclass)
        for cat_id, name, superclass in PARTIMAGENET_CATEGORIES
    ]
    rng = np.random.default_rng(seed)
    summary = {}
    for split, count in num_images.items():
        images, annotations = [], []
        for index in range(count):
            superclass = SUPERCLASSES[index % len(SUPERCLASSES)]
            wnid = wnids[superclass][int(rng.integers(len(wnids[superclass])))]
            file_name = f'{wnid}_{index + 1}.JPEG'
            height, width = (int(v) for v in rng.integers(low, high + 1, size=2))
            image, label_map, instances = _draw_object(rng, superclass, height, width, category_ids)
            image_id = index + 1
            images.append(dict(id=image_id, file_name=file_name, height=height, width=width))
            for category_id, polygon in instances:
                annotations.append(
                    _annotation(len(annotations) + 1, image_id, category_id, [polygon])
                )
            if with_defects and index == 0:
                annotations.extend(
                    _defect_annotations(len(annotations) + 1, image_id, instances, height, width)
                )
            _write_image(root, layout, split, wnid, file_name, image, label_map)
        coco = dict(images=images, annotations=annotations, categories=categories)
        ann_file = (
            osp.join(root, 'annotations', split, f'{split}.json')
            if layout == 'seg'
            else osp.join(root, f'{split}.json')
        )
        os.makedirs(osp.dirname(ann_file), exist_ok=True)
        with open(ann_file, 'w') as f:
            json.dump(coco, f)
        summary[split] = dict(images=len(images), annotations=len(annotations), ann_file=ann_file)
    return summary


def _write_image(
    root: str,
    layout: str,
    split: str,
    wnid: str,
    file_name: str,
    image: np.ndarray,
    label_map: np.ndarray,
) -> None:
    if layout == 'seg':
        image_path = osp.join(root, 'images', split, file_name)
        label_path = osp.join(root, 'annotations', split, osp.splitext(file_name)[0] + '.png')
        os.makedirs(osp.dirname(label_path), exist_ok=True)
        cv2.imwrite(label_path, label_map)
    else:
        image_path = osp.join(root, split, wnid, file_name)
    os.makedirs(osp.dirname(image_path), exist_ok=True)
    cv2.imwrite(image_path, image, [cv2.IMWRITE_JPEG_QUALITY, 95])
