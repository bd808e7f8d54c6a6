"""Generating a synthetic world: REFER files, image-text pairs and the marker."""

import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from . import writers
from .captions import image_pairs
from .drawing import annotate, paint
from .expressions import Scene
from .gres import image_grefs
from .referents import choose_referents
from .scene import sample_objects
from .world import CATEGORY_IDS, SHAPES

# v2: 4-8 objects of 7 shapes, 8 colours, 3 sizes; ordinals, regions, nearest; pairs.
# v3: the gRefCOCO-format split grefs(unc).json (other files as v2).
GENERATOR_VERSION = 3
DEFAULT_NUM_IMAGES = 1500
DEFAULT_IMAGE_SIZE = (192, 256)
DEFAULT_SPLITS = {'train': 12, 'val': 1, 'testA': 1, 'testB': 1}
MIN_SIDE = 64

# Independent random streams per image, so that one part can change without the others.
STREAM_SCENE, STREAM_SPLIT, STREAM_PAIRS, STREAM_GREFS, STREAM_PAINT = range(5)


def _raw_form(text: str, rng: np.random.Generator) -> str:
    """The 'raw' field: as typed, sometimes capitalised (the 'sent' field is lower case)."""
    return text[:1].upper() + text[1:] if rng.random() < 0.5 else text


def sentence_records(
    texts: Sequence[str], rng: np.random.Generator, first_sent_id: int
) -> List[dict]:
    """REFER sentence dicts (tokens, raw, sent_id, sent) with consecutive ids."""
    return [
        dict(tokens=text.split(), raw=_raw_form(text, rng), sent_id=first_sent_id + i, sent=text)
        for i, text in enumerate(texts)
    ]


def ref_file_name(image: dict, ann_id: int) -> str:
    """Released refs name the image with an _<ann_id> suffix; readers use instances.json."""
    return f'{osp.splitext(image["file_name"])[0]}_{ann_id}.jpg'


def _make_refs(
    targets: List[Tuple[int, List[str]]],
    image_anns: List[dict],
    image: dict,
    split: str,
    rng: np.random.Generator,
    first_ref_id: int,
    first_sent_id: int,
) -> List[dict]:
    """REFER ref records (as in the released pickles) of the referents of an image."""
    refs = []
    for target, texts in targets:
        ann = image_anns[target]
        sentences = sentence_records(texts, rng, first_sent_id)
        first_sent_id += len(sentences)
        refs.append(
            dict(
                sent_ids=[sentence['sent_id'] for sentence in sentences],
                file_name=ref_file_name(image, ann['id']),
                ann_id=ann['id'],
                ref_id=first_ref_id + len(refs),
                image_id=image['id'],
                split=split,
                sentences=sentences,
                category_id=ann['category_id'],
            )
        )
    return refs


def _make_grefs(
    grefs: List[Tuple[str, Tuple[int, ...], List[str]]],
    image_anns: List[dict],
    image: dict,
    split: str,
    rng: np.random.Generator,
    first_ref_id: int,
    first_sent_id: int,
) -> List[dict]:
    """gRefCOCO ref records: ``ann_id``/``category_id`` an int (one target), a list (several)
    or ``[-1]`` (none, with ``no_target`` True)."""
    refs = []
    for kind, targets, texts in grefs:
        sentences = sentence_records(texts, rng, first_sent_id)
        first_sent_id += len(sentences)
        anns = [image_anns[i] for i in targets]
        if kind == 'single':
            ann_id, category_id = anns[0]['id'], anns[0]['category_id']
        elif kind == 'multi':
            ann_id, category_id = [a['id'] for a in anns], [a['category_id'] for a in anns]
        else:
            ann_id, category_id = [-1], [-1]
        refs.append(
            dict(
                ref_id=first_ref_id + len(refs),
                image_id=image['id'],
                ann_id=ann_id,
                category_id=category_id,
                split=split,
                file_name=ref_file_name(image, anns[0]['id'] if anns else -1),
                sentences=sentences,
                sent_ids=[s['sent_id'] for s in sentences],
                no_target=kind == 'none',
            )
        )
    return refs


def _split_counts(num_images: int, splits: Dict[str, float]) -> Dict[str, int]:
    """Largest-remainder share of ``num_images`` by the split weights."""
    total = float(sum(splits.values()))
    exact = {name: num_images * weight / total for name, weight in splits.items()}
    counts = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: counts[name] - exact[name])
    for name in by_remainder[: num_images - sum(counts.values())]:
        counts[name] += 1
    return counts


def generation_args(
    num_images: int, image_size: Sequence[int], seed: int, splits: Optional[Dict[str, float]]
) -> dict:
    """Checked, normalised arguments as recorded in the marker."""
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    height, width = (int(v) for v in image_size)
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f'image_size must be at least {MIN_SIDE}x{MIN_SIDE} to fit the '
            f'objects, got {height}x{width} (height, width)'
        )
    if not splits or any(w <= 0 for w in splits.values()):
        raise ValueError(f'splits must map split names to positive weights, got {splits}')
    if num_images < len(splits):
        raise ValueError(
            f'num_images={num_images} is too small for one image in each of '
            f'the splits {sorted(splits)}'
        )
    return dict(
        num_images=int(num_images),
        image_size=[height, width],
        seed=int(seed),
        splits={name: float(weight) for name, weight in splits.items()},
        generator_version=GENERATOR_VERSION,
    )


def _count(
    images: List[dict],
    annotations: List[dict],
    refs: List[dict],
    pairs: Dict[str, List[dict]],
    grefs: List[dict],
) -> dict:
    per_split = {
        name: dict(images=0, refs=0, sentences=0, pairs=len(split_pairs), grefs=0)
        for name, split_pairs in pairs.items()
    }
    for ref in refs:
        per_split[ref['split']]['refs'] += 1
        per_split[ref['split']]['sentences'] += len(ref['sentences'])
    for ref in grefs:
        per_split[ref['split']]['grefs'] += 1
    for name in per_split:
        per_split[name]['images'] = len({p['image'] for p in pairs[name]})
    return dict(
        images=len(images),
        annotations=len(annotations),
        refs=len(refs),
        sentences=sum(len(ref['sentences']) for ref in refs),
        pairs=sum(len(p) for p in pairs.values()),
        grefs=len(grefs),
        grefs_by_kind=dict(
            single=sum(isinstance(r['ann_id'], int) for r in grefs),
            multi=sum(isinstance(r['ann_id'], list) and not r['no_target'] for r in grefs),
            none=sum(r['no_target'] for r in grefs),
        ),
        splits=per_split,
    )


def _stream(seed: int, stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, index])


def generate_synthetic_refer(
    out_root: str,
    num_images: int = DEFAULT_NUM_IMAGES,
    image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
    seed: int = 0,
    splits: Optional[Dict[str, float]] = None,
    progress: bool = True,
) -> dict:
    """Write a synthetic world: REFER files and image-text pairs.

    Layout: ``out_root/train2014/synthetic_<image_id:06d>.jpg`` (JPEG quality 95),
    ``out_root/refcoco/instances.json`` (COCO images, polygon annotations of every object,
    categories = the shapes), ``out_root/refcoco/refs(unc).p`` (protocol-2 pickle of refs
    with 2-3 sentences each), ``out_root/refcoco/grefs(unc).json`` (gRefCOCO-format refs
    with one, several or no target), ``out_root/pairs_<split>.json`` (image-text pairs, see
    docs/dataset_prepare.md) and the marker ``out_root/synthetic_refer.json`` holding the
    arguments and counts, written last. The same arguments give the same bytes.

    Args:
        out_root (str): Output folder. An earlier world there is replaced only if a
            refseg marker says it is synthetic.
        num_images (int): Images over all splits. Defaults to 1500.
        image_size (Sequence[int]): (height, width) of every image; object sizes and
            margins scale with the shorter side. Defaults to (192, 256).
        seed (int): Random seed. Defaults to 0.
        splits (dict, optional): Split name -> relative weight of its image count; all refs
            of an image share its split, as in RefCOCO (unc). Defaults to
            ``{'train': 12, 'val': 1, 'testA': 1, 'testB': 1}`` (1200/100/100/100 images).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: ``images``, ``annotations``, ``refs``, ``sentences``, ``pairs``, ``grefs``
        totals, ``grefs_by_kind`` (single, multi, none) and ``splits``: split ->
        dict(images, refs, sentences, pairs, grefs).
    """
    args = generation_args(num_images, image_size, seed, splits)
    height, width = args['image_size']
    writers.clear_previous(out_root)
    os.makedirs(osp.join(out_root, writers.IMG_DIR), exist_ok=True)
    os.makedirs(osp.join(out_root, writers.ANN_DIR), exist_ok=True)
    writers.write_json(osp.join(out_root, writers.MARKER), dict(args=args, complete=False))

    split_counts = _split_counts(args['num_images'], args['splits'])
    image_splits = np.repeat(list(split_counts), list(split_counts.values()))
    image_splits = _stream(args['seed'], STREAM_SPLIT, 0).permutation(image_splits)

    images, annotations, refs, grefs = [], [], [], []
    pairs: Dict[str, List[dict]] = {name: [] for name in args['splits']}
    num_sentences = num_gref_sentences = 0
    bar = ProgressBar(args['num_images']) if progress and sys.stdout.isatty() else None
    for index, split in enumerate(image_splits):
        split = str(split)
        rng = _stream(args['seed'], STREAM_SCENE, index)
        image = dict(
            id=index + 1, file_name=f'synthetic_{index + 1:06d}.jpg', height=height, width=width
        )
        while True:
            objects = sample_objects(rng, height, width)
            image_anns, masks = annotate(objects, image, first_ann_id=len(annotations) + 1)
            scene = Scene(objects, height, width)
            targets = choose_referents(scene, rng)
            if targets:
                break
        image_refs = _make_refs(
            targets,
            image_anns,
            image,
            split,
            rng,
            first_ref_id=len(refs) + 1,
            first_sent_id=num_sentences + 1,
        )
        num_sentences += sum(len(ref['sentences']) for ref in image_refs)
        refs += image_refs
        gres_rng = _stream(args['seed'], STREAM_GREFS, index)
        image_grefs_ = _make_grefs(
            image_grefs(scene, gres_rng),
            image_anns,
            image,
            split,
            gres_rng,
            first_ref_id=len(grefs) + 1,
            first_sent_id=num_gref_sentences + 1,
        )
        num_gref_sentences += sum(len(ref['sentences']) for ref in image_grefs_)
        grefs += image_grefs_
        image_path = f'{writers.IMG_DIR}/{image["file_name"]}'
        pairs[split] += image_pairs(
            scene, image_anns, image_path, _stream(args['seed'], STREAM_PAIRS, index)
        )
        pixels = paint(objects, masks, _stream(args['seed'], STREAM_PAINT, index), height, width)
        _, encoded = cv2.imencode('.jpg', pixels, [cv2.IMWRITE_JPEG_QUALITY, 95])
        writers.write_bytes(osp.join(out_root, image_path), encoded.tobytes())
        images.append(image)
        annotations += image_anns
        if bar is not None:
            bar.update()
    if bar is not None:
        print()

    categories = [dict(id=CATEGORY_IDS[name], name=name, supercategory='shape') for name in SHAPES]
    ann_dir = osp.join(out_root, writers.ANN_DIR)
    writers.write_json(
        osp.join(ann_dir, writers.INSTANCES),
        dict(images=images, annotations=annotations, categories=categories),
    )
    writers.write_pickle(osp.join(ann_dir, writers.REFS), refs)
    writers.write_json(osp.join(ann_dir, writers.GREFS), grefs)
    for name, split_pairs in pairs.items():
        writers.write_json(
            osp.join(out_root, writers.PAIRS.format(split=name)),
            dict(version=GENERATOR_VERSION, pairs=split_pairs),
        )
    counts = _count(images, annotations, refs, pairs, grefs)
    writers.write_json(
        osp.join(out_root, writers.MARKER), dict(args=args, complete=True, counts=counts)
    )
    return counts


def ensure_synthetic_refer(
    root: str,
    num_images: int = DEFAULT_NUM_IMAGES,
    image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
    seed: int = 0,
    splits: Optional[Dict[str, float]] = None,
    progress: bool = True,
) -> dict:
    """Generate the synthetic world in ``root`` unless it is already there.

    The marker file written last by :func:`generate_synthetic_refer` records the
    arguments and the generator version; a world generated with other arguments, by
    another version, or interrupted, is regenerated. Processes on one machine take turns
    through a file lock. Arguments are those of :func:`generate_synthetic_refer`.

    Returns:
        dict: The counts of the world in ``root``.
    """
    args = generation_args(num_images, image_size, seed, splits)
    os.makedirs(root, exist_ok=True)
    with writers.file_lock(osp.join(root, '.synthetic_refer.lock')):
        marker = writers.read_marker(root)
        if marker is not None and marker.get('complete') and marker['args'] == args:
            return marker['counts']
        print_log(
            f'Generating the synthetic referring dataset in {root} ({num_images} '
            'images); later runs reuse it.',
            logger='current',
        )
        return generate_synthetic_refer(root, num_images, image_size, seed, splits, progress)
