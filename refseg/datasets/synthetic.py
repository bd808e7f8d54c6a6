"""The built-in demo data: coloured shapes with referring expressions, in the REFER format.

Each image shows 2-5 shapes (circle, square, triangle, star) in a few colours and two sizes
on a light, noisy background. Distractors share attributes with the referent (two red
shapes, two circles, ...), so the expression is needed to find it. Every expression is
checked in code to select exactly its referent, with margins that keep spatial words clear.

The files are those of the real data (``train2014/*.jpg``, ``refcoco/instances.json``,
``refcoco/refs(unc).p``), so :class:`~refseg.datasets.RefCOCODataset` reads them unchanged.
"""
import contextlib
import functools
import json
import os
import os.path as osp
import pickle
import shutil
import sys
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from refseg.registry import DATASETS
from .refcoco import RefCOCODataset

try:
    import fcntl
except ImportError:  # Windows: no file lock, rank 0 still generates alone
    fcntl = None

GENERATOR_VERSION = 1
MARKER = 'synthetic_refer.json'
IMG_DIR = 'train2014'
ANN_DIR = 'refcoco'

SHAPES = ('circle', 'square', 'triangle', 'star')
COLOURS_RGB = {
    'red': (215, 35, 35),
    'green': (35, 160, 60),
    'blue': (40, 75, 215),
    'yellow': (235, 195, 25),
    'purple': (135, 55, 175),
}
CATEGORY_IDS = {name: index + 1 for index, name in enumerate(SHAPES)}
SIZE_RADII = {'small': (10., 13.), 'big': (17., 21.)}
# Distance from the centre to the farthest polygon point, in units of the radius.
EXTENT = {'circle': 1.0, 'square': 1.2, 'triangle': 1.25, 'star': 1.25}
DEFAULT_SPLITS = {'train': 6, 'val': 1, 'testA': 1, 'testB': 1}

MARGIN = 6.  # px between centres (or to a midline) for a spatial word to count as clear
SIZE_RATIO = 1.3  # radius ratio for "largest" / "smallest"
GAP = 2.  # px kept free between the extents of two shapes


@dataclass
class Shape:
    """One drawn object: attributes, centre (x, y) in pixels, radius and outline polygon."""
    shape: str
    colour: str
    size: str
    x: float
    y: float
    radius: float

    @property
    def extent(self) -> float:
        return EXTENT[self.shape] * self.radius

    def attr(self, key: str) -> str:
        return getattr(self, key)

    def polygon(self) -> List[float]:
        """COCO polygon [x0, y0, x1, y1, ...] of the outline."""
        r = self.radius
        if self.shape == 'circle':
            angles = np.linspace(0, 2 * np.pi, 32, endpoint=False)
            radii = np.full_like(angles, r)
        elif self.shape == 'square':
            angles = np.pi / 4 + np.arange(4) * np.pi / 2
            radii = np.full_like(angles, EXTENT['square'] * r)
        elif self.shape == 'triangle':
            angles = -np.pi / 2 + np.arange(3) * 2 * np.pi / 3
            radii = np.full_like(angles, EXTENT['triangle'] * r)
        else:  # five-pointed star, tips and notches alternating
            angles = -np.pi / 2 + np.arange(10) * np.pi / 5
            radii = np.where(np.arange(10) % 2 == 0, 1., 0.45) * EXTENT['star'] * r
        xs, ys = self.x + radii * np.cos(angles), self.y + radii * np.sin(angles)
        return [round(float(v), 2) for xy in zip(xs, ys) for v in xy]


# An expression is a group of shapes (those with the given attribute values) plus an
# optional selector that picks one member:
#   ('extreme', axis, sign)             leftmost (x, -1), rightmost, topmost (y, -1), lowest
#   ('quadrant', sign_x, sign_y)        the member in one quarter of the image
#   ('relation', axis, sign, landmark)  left of / right of / above / below a unique landmark
#   ('superlative', sign)               largest (+1) / smallest (-1)
Attrs = Tuple[Tuple[str, str], ...]


@dataclass(frozen=True)
class Expression:
    """A referring expression before wording: attribute filter and optional selector."""
    attrs: Attrs
    selector: Optional[tuple] = None


def _members(shapes: Sequence[Shape], attrs: Attrs) -> List[int]:
    return [i for i, s in enumerate(shapes) if all(s.attr(k) == v for k, v in attrs)]


def _coord(shape: Shape, axis: str) -> float:
    return shape.x if axis == 'x' else shape.y


def _clear_single(offsets: Dict[int, float]) -> Optional[int]:
    """The one index with offset >= MARGIN when all others are <= -MARGIN, else None."""
    inside = [i for i, d in offsets.items() if d >= MARGIN]
    outside = [i for i, d in offsets.items() if d <= -MARGIN]
    if len(inside) == 1 and len(inside) + len(outside) == len(offsets):
        return inside[0]
    return None


def resolve(expr: Expression, shapes: Sequence[Shape], height: int, width: int,
            groups: Optional[Callable[[Attrs], List[int]]] = None) -> Optional[int]:
    """Index of the one shape an expression selects, or None if it is ambiguous or empty.

    Selectors only apply to groups of two or more shapes, so that the spatial or size word
    carries information, and only when the answer is clear by :data:`MARGIN` pixels (or
    :data:`SIZE_RATIO` for sizes). ``groups`` may give a cached ``_members(shapes, .)``.
    """
    groups = groups or functools.partial(_members, shapes)
    group = groups(expr.attrs)
    if expr.selector is None:
        return group[0] if len(group) == 1 else None
    kind = expr.selector[0]
    if kind == 'relation':
        _, axis, sign, landmark_attrs = expr.selector
        landmarks = groups(landmark_attrs)
        if len(landmarks) != 1:
            return None
        landmark = shapes[landmarks[0]]
        group = [i for i in group if i != landmarks[0]]
        if len(group) < 2:
            return None
        return _clear_single(
            {i: sign * (_coord(shapes[i], axis) - _coord(landmark, axis)) for i in group})
    if len(group) < 2:
        return None
    if kind == 'extreme':
        _, axis, sign = expr.selector
        # sign -1 asks for the smallest coordinate (leftmost, topmost), +1 the largest.
        first, second = sorted(group, key=lambda i: -sign * _coord(shapes[i], axis))[:2]
        gap = abs(_coord(shapes[second], axis) - _coord(shapes[first], axis))
        return first if gap >= MARGIN else None
    if kind == 'quadrant':
        _, sign_x, sign_y = expr.selector
        return _clear_single({
            i: min(sign_x * (shapes[i].x - width / 2), sign_y * (shapes[i].y - height / 2))
            for i in group
        })
    if kind == 'superlative':
        _, sign = expr.selector
        first, second = sorted(group, key=lambda i: -sign * shapes[i].radius)[:2]
        big, small = sorted((shapes[first].radius, shapes[second].radius), reverse=True)
        return first if big >= SIZE_RATIO * small else None
    raise ValueError(f'unknown selector {expr.selector!r}')


def _attr_subsets(shape: Shape, keys: Sequence[str]) -> Iterator[Attrs]:
    for mask in range(1 << len(keys)):
        yield tuple((k, shape.attr(k)) for bit, k in enumerate(keys) if mask >> bit & 1)


def _landmark_attrs(shapes: Sequence[Shape], index: int,
                    groups: Callable[[Attrs], List[int]]) -> Optional[Attrs]:
    """The shortest colour/shape description that singles out shapes[index], if any."""
    for attrs in sorted(_attr_subsets(shapes[index], ('colour', 'shape')), key=len):
        if attrs and groups(attrs) == [index]:
            return attrs
    return None


def candidate_expressions(shapes: Sequence[Shape], target: int, height: int,
                          width: int) -> Dict[str, List[Expression]]:
    """All expressions that select exactly ``target``, keyed by kind."""
    keys = ('size', 'colour', 'shape')
    groups = functools.lru_cache(maxsize=None)(functools.partial(_members, shapes))
    landmarks = [_landmark_attrs(shapes, i, groups) for i in range(len(shapes))]
    landmarks[target] = None
    found: Dict[str, List[Expression]] = {}

    def keep(kind: str, expr: Expression) -> None:
        if resolve(expr, shapes, height, width, groups) == target:
            found.setdefault(kind, []).append(expr)

    for attrs in _attr_subsets(shapes[target], keys):
        if attrs:
            keep('attribute', Expression(attrs))
        for axis in ('x', 'y'):
            for sign in (-1, 1):
                keep('extreme', Expression(attrs, ('extreme', axis, sign)))
        for sign_x in (-1, 1):
            for sign_y in (-1, 1):
                keep('quadrant', Expression(attrs, ('quadrant', sign_x, sign_y)))
        if 'size' not in dict(attrs):
            for sign in (-1, 1):
                keep('superlative', Expression(attrs, ('superlative', sign)))
        for landmark in filter(None, landmarks):
            for axis in ('x', 'y'):
                for sign in (-1, 1):
                    keep('relation', Expression(attrs, ('relation', axis, sign, landmark)))
    return found


def _noun_phrase(attrs: Attrs, rng: np.random.Generator) -> str:
    values = dict(attrs)
    words = [values[k] for k in ('size', 'colour') if k in values]
    if 'shape' in values:
        noun = values['shape']
    else:
        noun = str(rng.choice(['shape', 'object', 'one'] if words else ['shape', 'object']))
    return ' '.join(words + [noun])


def render(expr: Expression, shapes: Sequence[Shape], rng: np.random.Generator) -> str:
    """Turn an expression into one of its English phrasings (lower case)."""
    np_ = _noun_phrase(expr.attrs, rng)
    pair = len(_members(shapes, expr.attrs)) == 2
    selector = expr.selector
    if selector is None:
        options = [f'the {np_}', np_]
    elif selector[0] == 'extreme':
        _, axis, sign = selector
        if axis == 'x':
            side = 'left' if sign < 0 else 'right'
            options = [f'the {side}most {np_}', f'the {np_} on the far {side}']
            if pair:
                options += [f'the {side} {np_}', f'the {np_} on the {side}']
        else:
            top, word, est = (('top', 'upper', 'highest') if sign < 0 else
                              ('bottom', 'lower', 'lowest'))
            options = [f'the {top}most {np_}', f'the {est} {np_}', f'the {np_} at the {top}']
            if pair:
                options += [f'the {word} {np_}', f'the {top} {np_}']
    elif selector[0] == 'quadrant':
        _, sign_x, sign_y = selector
        vertical = 'top' if sign_y < 0 else 'bottom'
        horizontal = 'left' if sign_x < 0 else 'right'
        options = [f'the {np_} in the {vertical} {horizontal} corner',
                   f'the {vertical}-{horizontal} {np_}',
                   f'the {np_} at the {vertical} {horizontal}']
    elif selector[0] == 'relation':
        _, axis, sign, landmark = selector
        landmark_np = f'the {_noun_phrase(landmark, rng)}'
        if axis == 'x':
            side = 'left' if sign < 0 else 'right'
            options = [f'the {np_} {side} of {landmark_np}',
                       f'the {np_} to the {side} of {landmark_np}']
        elif sign < 0:
            options = [f'the {np_} above {landmark_np}']
        else:
            options = [f'the {np_} below {landmark_np}', f'the {np_} under {landmark_np}']
    else:
        options = (['the largest {}', 'the biggest {}'] if selector[1] > 0 else
                   ['the smallest {}'])
        options = [option.format(np_) for option in options]
    return str(rng.choice(options))


def _place_shapes(rng: np.random.Generator, height: int, width: int) -> List[Shape]:
    """2-5 non-overlapping shapes whose attributes overlap on purpose."""
    while True:
        num = int(rng.integers(2, 6))
        # Few distinct values per image, so that distractors share attributes.
        num_shapes = int(rng.integers(1, min(num, 3) + 1))
        num_colours = int(rng.integers(1 if num_shapes > 1 else 2, min(num, 3) + 1))
        shape_pool = rng.choice(SHAPES, num_shapes, replace=False)
        colour_pool = rng.choice(sorted(COLOURS_RGB), num_colours, replace=False)
        shapes: List[Shape] = []
        for _ in range(num):
            shape, colour = str(rng.choice(shape_pool)), str(rng.choice(colour_pool))
            size = str(rng.choice(sorted(SIZE_RADII)))
            radius = float(rng.uniform(*SIZE_RADII[size]))
            extent = EXTENT[shape] * radius
            for _ in range(100):
                x = float(rng.uniform(extent + 1, width - extent - 1))
                y = float(rng.uniform(extent + 1, height - extent - 1))
                if all(np.hypot(x - s.x, y - s.y) >= extent + s.extent + GAP for s in shapes):
                    shapes.append(Shape(shape, colour, size, round(x, 2), round(y, 2),
                                        round(radius, 2)))
                    break
        if len(shapes) >= 2:
            return shapes


def _pick_expressions(found: Dict[str, List[Expression]], shapes: Sequence[Shape],
                      rng: np.random.Generator, num: int) -> List[str]:
    """Up to ``num`` distinct phrasings, drawn from as many kinds as possible."""
    kinds = [str(k) for k in rng.permutation(sorted(found))]
    pools = {kind: [found[kind][i] for i in rng.permutation(len(found[kind]))]
             for kind in kinds}
    texts: List[str] = []
    while len(texts) < num and any(pools.values()):
        for kind in kinds:
            if pools[kind] and len(texts) < num:
                text = render(pools[kind].pop(), shapes, rng)
                if text not in texts:
                    texts.append(text)
    return texts


def _draw(shapes: Sequence[Shape], masks: Sequence[np.ndarray], rng: np.random.Generator,
          height: int, width: int) -> np.ndarray:
    """BGR image: light background with a gradient and noise, shapes painted by their masks."""
    base = rng.uniform(175, 235, size=3)
    ramp = np.linspace(-1, 1, width)[None, :, None] * rng.uniform(-12, 12, size=3)
    img = base + ramp + rng.normal(0, 4, size=(height, width, 3))
    for shape, mask in zip(shapes, masks):
        colour = np.array(COLOURS_RGB[shape.colour]) + rng.uniform(-15, 15, size=3)
        img[mask.astype(bool)] = colour + rng.normal(0, 3, size=(int(mask.sum()), 3))
    return np.clip(img, 0, 255).astype(np.uint8)[..., ::-1]


def _sample_scene(rng: np.random.Generator, height: int,
                  width: int) -> Tuple[List[Shape], List[Tuple[int, List[str]]]]:
    """Shapes of one image and 1-3 referents with their 2-3 expressions each."""
    while True:
        shapes = _place_shapes(rng, height, width)
        num_refs = int(rng.integers(1, min(3, len(shapes)) + 1))
        referents = []
        for target in rng.permutation(len(shapes)):
            found = candidate_expressions(shapes, int(target), height, width)
            texts = _pick_expressions(found, shapes, rng, int(rng.integers(2, 4)))
            if len(texts) >= 2:
                referents.append((int(target), texts))
            if len(referents) == num_refs:
                break
        if referents:
            return shapes, sorted(referents)


def _raw_form(text: str, rng: np.random.Generator) -> str:
    """The 'raw' field: as typed, sometimes capitalised (the 'sent' field is lower case)."""
    return text[:1].upper() + text[1:] if rng.random() < 0.5 else text


def _annotate(shapes: Sequence[Shape], image: dict,
              first_ann_id: int) -> Tuple[List[dict], List[np.ndarray]]:
    """COCO annotations of all shapes of an image and their (h, w) uint8 masks.

    Besides the COCO fields, each annotation carries the shape's ``attributes`` (colour,
    size, centre, radius), which only the synthetic data has.
    """
    height, width = image['height'], image['width']
    annotations, masks = [], []
    for offset, shape in enumerate(shapes):
        polygon = shape.polygon()
        rle = mask_utils.merge(mask_utils.frPyObjects([polygon], height, width))
        masks.append(mask_utils.decode(rle))
        annotations.append(dict(
            id=first_ann_id + offset, image_id=image['id'],
            category_id=CATEGORY_IDS[shape.shape], segmentation=[polygon],
            area=float(mask_utils.area(rle)),
            bbox=[round(float(v), 2) for v in mask_utils.toBbox(rle)], iscrowd=0,
            attributes=dict(colour=shape.colour, size=shape.size, center=[shape.x, shape.y],
                            radius=shape.radius)))
    return annotations, masks


def _make_refs(targets: List[Tuple[int, List[str]]], image_anns: List[dict], image: dict,
               split: str, rng: np.random.Generator, first_ref_id: int,
               first_sent_id: int) -> List[dict]:
    """REFER ref records (as in the real pickles) of the chosen referents of an image."""
    refs = []
    sent_id = first_sent_id
    for target, texts in targets:
        ann = image_anns[target]
        sentences = []
        for text in texts:
            sentences.append(dict(tokens=text.split(), raw=_raw_form(text, rng),
                                  sent_id=sent_id, sent=text))
            sent_id += 1
        refs.append(dict(
            sent_ids=[sentence['sent_id'] for sentence in sentences],
            # Real refs name the image with an _<ann_id> suffix; readers use instances.json.
            file_name=f'{osp.splitext(image["file_name"])[0]}_{ann["id"]}.jpg',
            ann_id=ann['id'], ref_id=first_ref_id + len(refs), image_id=image['id'],
            split=split, sentences=sentences, category_id=ann['category_id']))
    return refs


def _split_counts(num_images: int, splits: Dict[str, float]) -> Dict[str, int]:
    """Largest-remainder share of ``num_images`` by the split weights."""
    total = float(sum(splits.values()))
    exact = {name: num_images * weight / total for name, weight in splits.items()}
    counts = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: counts[name] - exact[name])
    for name in by_remainder[:num_images - sum(counts.values())]:
        counts[name] += 1
    return counts


def _generation_args(num_images: int, image_size: Sequence[int], seed: int,
                     splits: Optional[Dict[str, float]]) -> dict:
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    height, width = (int(v) for v in image_size)
    if min(height, width) < 64:
        raise ValueError(f'image_size must be at least 64x64 to fit the shapes, got '
                         f'{height}x{width} (height, width)')
    if not splits or any(w <= 0 for w in splits.values()):
        raise ValueError(f'splits must map split names to positive weights, got {splits}')
    if num_images < len(splits):
        raise ValueError(f'num_images={num_images} is too small for one image in each of '
                         f'the splits {sorted(splits)}')
    return dict(num_images=int(num_images), image_size=[height, width], seed=int(seed),
                splits={name: float(weight) for name, weight in splits.items()},
                generator_version=GENERATOR_VERSION)


def _count(images: List[dict], annotations: List[dict], refs: List[dict],
           split_names: List[str]) -> dict:
    per_split = {name: dict(images=0, refs=0, sentences=0) for name in split_names}
    for ref in refs:
        per_split[ref['split']]['refs'] += 1
        per_split[ref['split']]['sentences'] += len(ref['sentences'])
    for name in split_names:
        per_split[name]['images'] = len({ref['image_id'] for ref in refs if ref['split'] == name})
    return dict(images=len(images), annotations=len(annotations), refs=len(refs),
                sentences=sum(len(ref['sentences']) for ref in refs), splits=per_split)


def _clear_previous(out_root: str) -> None:
    """Remove an earlier synthetic dataset, refusing to touch folders refseg did not write."""
    existing = [name for name in (IMG_DIR, ANN_DIR) if osp.exists(osp.join(out_root, name))]
    if existing and _read_marker(out_root) is None:
        raise FileExistsError(
            f'{out_root} already holds {existing} but no {MARKER}: it was not written by '
            'the synthetic generator, so it is left untouched. Choose another folder.')
    for name in existing:
        shutil.rmtree(osp.join(out_root, name))


def _read_marker(out_root: str) -> Optional[dict]:
    path = osp.join(out_root, MARKER)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _write_json(path: str, obj: dict) -> None:
    with open(path, 'w') as f:
        f.write(json.dumps(obj))


def generate_synthetic_refer(out_root: str,
                             num_images: int = 900,
                             image_size: Sequence[int] = (96, 128),
                             seed: int = 0,
                             splits: Optional[Dict[str, float]] = None,
                             progress: bool = True) -> dict:
    """Write the synthetic referring dataset in the REFER format.

    Layout: ``out_root/train2014/synthetic_<image_id:06d>.jpg`` (JPEG quality 95),
    ``out_root/refcoco/instances.json`` (COCO images, polygon annotations of every shape,
    categories = the shapes), ``out_root/refcoco/refs(unc).p`` (protocol-2 pickle of refs with
    2-3 sentences each) and the marker ``out_root/synthetic_refer.json`` holding the
    arguments and counts. The same arguments give the same bytes.

    Args:
        out_root (str): Output folder. Existing ``train2014/`` or ``refcoco/`` folders are
            replaced only if a refseg marker says they are synthetic.
        num_images (int): Images over all splits. Defaults to 900.
        image_size (Sequence[int]): (height, width) of every image. Defaults to (96, 128),
            landscape so that the letterbox pads.
        seed (int): Random seed. Defaults to 0.
        splits (dict, optional): Split name -> relative weight of its image count; all refs
            of an image share its split, as in RefCOCO (unc). Defaults to
            ``{'train': 6, 'val': 1, 'testA': 1, 'testB': 1}`` (600/100/100/100 images).
        progress (bool): Show a progress bar when stdout is a terminal (redirected
            output gets none: its carriage returns would pile up on one line). Defaults
            to True.

    Returns:
        dict: ``images``, ``annotations``, ``refs``, ``sentences`` totals and ``splits``:
        split -> dict(images, refs, sentences).
    """
    args = _generation_args(num_images, image_size, seed, splits)
    height, width = args['image_size']
    _clear_previous(out_root)
    os.makedirs(osp.join(out_root, IMG_DIR), exist_ok=True)
    os.makedirs(osp.join(out_root, ANN_DIR), exist_ok=True)
    _write_json(osp.join(out_root, MARKER), dict(args=args, complete=False))

    split_counts = _split_counts(args['num_images'], args['splits'])
    image_splits = np.repeat(list(split_counts), list(split_counts.values()))
    image_splits = np.random.default_rng([args['seed'], 1]).permutation(image_splits)

    images, annotations, refs = [], [], []
    bar = ProgressBar(args['num_images']) if progress and sys.stdout.isatty() else None
    for index, split in enumerate(image_splits):
        rng = np.random.default_rng([args['seed'], 0, index])
        image = dict(id=index + 1, file_name=f'synthetic_{index + 1:06d}.jpg', height=height,
                     width=width)
        shapes, targets = _sample_scene(rng, height, width)
        image_anns, masks = _annotate(shapes, image, first_ann_id=len(annotations) + 1)
        first_sent_id = sum(len(ref['sent_ids']) for ref in refs) + 1
        refs += _make_refs(targets, image_anns, image, str(split), rng,
                           first_ref_id=len(refs) + 1, first_sent_id=first_sent_id)
        _, encoded = cv2.imencode('.jpg', _draw(shapes, masks, rng, height, width),
                                  [cv2.IMWRITE_JPEG_QUALITY, 95])
        with open(osp.join(out_root, IMG_DIR, image['file_name']), 'wb') as f:
            f.write(encoded.tobytes())
        images.append(image)
        annotations += image_anns
        if bar is not None:
            bar.update()
    if bar is not None:
        print()

    categories = [dict(id=CATEGORY_IDS[name], name=name, supercategory='shape')
                  for name in SHAPES]
    _write_json(osp.join(out_root, ANN_DIR, 'instances.json'),
                dict(images=images, annotations=annotations, categories=categories))
    with open(osp.join(out_root, ANN_DIR, 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f, protocol=2)
    counts = _count(images, annotations, refs, list(args['splits']))
    _write_json(osp.join(out_root, MARKER), dict(args=args, complete=True, counts=counts))
    return counts


@contextlib.contextmanager
def _file_lock(path: str) -> Iterator[None]:
    """Exclusive lock between processes on one machine (a no-op without fcntl)."""
    if fcntl is None:
        yield
        return
    with open(path, 'w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_synthetic_refer(root: str,
                           num_images: int = 900,
                           image_size: Sequence[int] = (96, 128),
                           seed: int = 0,
                           splits: Optional[Dict[str, float]] = None,
                           progress: bool = True) -> dict:
    """Generate the synthetic dataset in ``root`` unless it is already there.

    The marker file written last by :func:`generate_synthetic_refer` records the
    arguments; a dataset generated with other arguments, or interrupted, is regenerated.
    Processes on one machine take turns through a file lock. Arguments are those of
    :func:`generate_synthetic_refer`.

    Returns:
        dict: The counts of the dataset in ``root``.
    """
    args = _generation_args(num_images, image_size, seed, splits)
    os.makedirs(root, exist_ok=True)
    with _file_lock(osp.join(root, '.synthetic_refer.lock')):
        marker = _read_marker(root)
        if marker is not None and marker.get('complete') and marker['args'] == args:
            return marker['counts']
        print_log(f'Generating the synthetic referring dataset in {root} ({num_images} '
                  'images); later runs reuse it.', logger='current')
        return generate_synthetic_refer(root, num_images, image_size, seed, splits, progress)


@DATASETS.register_module()
class SyntheticRefDataset(RefCOCODataset):
    """:class:`RefCOCODataset` over the synthetic data, generated on first use.

    In a distributed run rank 0 generates while the other ranks wait at a barrier; then
    every rank checks the data (and generates it itself on a machine that does not share
    rank 0's file system).

    Args:
        data_root (str): Folder of the synthetic dataset, created if missing.
        generate_cfg (dict, optional): Keyword arguments of :func:`ensure_synthetic_refer`
            (``num_images``, ``image_size``, ``seed``, ``splits``, ``progress``).
        **kwargs: Arguments of :class:`RefCOCODataset`; the defaults of ``ann_file``,
            ``split_file`` and ``data_prefix`` already match the generated layout.
    """

    def __init__(self, data_root: str, generate_cfg: Optional[dict] = None, **kwargs) -> None:
        generate_cfg = dict(generate_cfg or {})
        rank, world_size = get_dist_info()
        if world_size > 1 and rank != 0:
            barrier()
        ensure_synthetic_refer(data_root, **generate_cfg)
        if world_size > 1 and rank == 0:
            barrier()
        super().__init__(data_root=data_root, **kwargs)
