"""Check a REFER dataset folder: counts per split, against the published ones, and problems.

Usage::

    python tools/dataset_converters/check_refer.py data/coco --dataset refcoco --split-by unc
    python tools/dataset_converters/check_refer.py data/coco --dataset refcocog --split-by umd \
        --check-images --strict

Reads ``DATA_ROOT/<dataset>/instances.json`` and ``DATA_ROOT/<dataset>/refs(<split-by>).p``
and prints, per split, the images, annotations, refs and sentences. The ref counts (and the
sentence counts where they are published) are compared with the numbers every RIS paper
uses; a difference is flagged with ``MISMATCH``. It also reports refs whose annotation or
image is missing from ``instances.json``, referent masks that are malformed or empty,
sentences that are empty or whitespace only, and with ``--check-images`` image files under
``DATA_ROOT/<img-dir>`` that are missing, empty, not decodable or of another size than
``instances.json`` says (every referenced image is decoded). With
``--strict`` the exit status is 1 when anything was flagged.
"""

import argparse
import os.path as osp
import pickle
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

# Refs and sentences per split as published with the datasets (ETRIS #9 lists the refs;
# CRIS hard-codes the same ref counts). None: no published number to compare with.
PUBLISHED = {
    ('refcoco', 'unc'): dict(
        refs=dict(train=42404, val=3811, testA=1975, testB=1810),
        sentences=dict(train=120624, val=10834, testA=5657, testB=5095),
    ),
    ('refcoco+', 'unc'): dict(
        refs=dict(train=42278, val=3805, testA=1975, testB=1798),
        sentences=dict(train=120191, val=10758, testA=5726, testB=4889),
    ),
    ('refcocog', 'umd'): dict(
        refs=dict(train=42226, val=2573, test=5023),
        sentences=dict(train=80512, val=4896, test=9602),
    ),
    ('refcocog', 'google'): dict(refs=dict(train=44822, val=5000), sentences={}),
}
MAX_LISTED = 5


def split_statistics(refs: List[dict]) -> Dict[str, Dict[str, int]]:
    """Images, annotations, refs and sentences of each split (splits in file order)."""
    sets: Dict[str, Dict[str, set]] = defaultdict(lambda: dict(images=set(), anns=set()))
    counts: Dict[str, Dict[str, int]] = defaultdict(lambda: dict(refs=0, sentences=0))
    for ref in refs:
        split = ref['split']
        sets[split]['images'].add(ref['image_id'])
        sets[split]['anns'].add(ref['ann_id'])
        counts[split]['refs'] += 1
        counts[split]['sentences'] += len(ref['sentences'])
    return {
        split: dict(
            images=len(sets[split]['images']), anns=len(sets[split]['anns']), **counts[split]
        )
        for split in counts
    }


def find_problems(refs: List[dict], instances: dict, img_dir: Optional[str]) -> List[str]:
    """Human-readable problems of the refs against ``instances.json`` (and image files)."""
    from refseg.datasets.refcoco import TEXT_FIELDS
    from refseg.structures.coco_mask import mask_ann_problem

    images = {image['id']: image for image in instances['images']}
    annotations = {ann['id']: ann for ann in instances['annotations']}
    found: Dict[str, List[str]] = defaultdict(list)
    for ref in refs:
        ref_id = ref['ref_id']
        ann, image = annotations.get(ref['ann_id']), images.get(ref['image_id'])
        if ann is None:
            found['ann_id missing from instances.json'].append(
                f'ref_id={ref_id} ann_id={ref["ann_id"]}'
            )
        if image is None:
            found['image_id missing from instances.json'].append(
                f'ref_id={ref_id} image_id={ref["image_id"]}'
            )
        if ann is not None and image is not None:
            problem = mask_ann_problem(ann.get('segmentation', []), image['height'], image['width'])
            if problem is not None:
                found['invalid referent mask'].append(
                    f'ref_id={ref_id} ann_id={ann["id"]}: {problem}'
                )
        if not ref['sentences']:
            found['ref without sentences'].append(f'ref_id={ref_id}')
        for sentence in ref['sentences']:
            for field in TEXT_FIELDS:
                if field in sentence and not str(sentence[field]).strip():
                    found[f'empty sentence ({field!r} blank)'].append(
                        f'ref_id={ref_id} sent_id={sentence.get("sent_id")}'
                    )
    if img_dir is not None:
        used = sorted({ref['image_id'] for ref in refs if ref['image_id'] in images})
        for image_id in used:
            image = images[image_id]
            path = osp.join(img_dir, image['file_name'])
            kind, detail = image_problem(path, image.get('height'), image.get('width'))
            if kind is not None:
                found[kind].append(detail)
    lines = []
    for kind, items in found.items():
        listed = '; '.join(items[:MAX_LISTED])
        more = f' and {len(items) - MAX_LISTED} more' if len(items) > MAX_LISTED else ''
        lines.append(f'{len(items)} x {kind}: {listed}{more}')
    return lines


def image_problem(
    path: str, height: Optional[int], width: Optional[int]
) -> Tuple[Optional[str], str]:
    """(kind of problem, detail) of an image file, or (None, '') when it decodes at the
    size ``instances.json`` gives."""
    import cv2
    import numpy as np

    if not osp.isfile(path):
        return 'image file missing', path
    with open(path, 'rb') as file:
        data = file.read()
    if not data:
        return 'image file empty (0 bytes)', path
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        return 'image file not decodable', path
    if (height, width) != image.shape[:2]:
        return (
            'image size differs from instances.json',
            f'{path}: {image.shape[1]}x{image.shape[0]} (w x h), instances.json says '
            f'{width}x{height}',
        )
    return None, ''


def compare(stats: Dict[str, Dict[str, int]], published: Optional[dict]) -> List[str]:
    """MISMATCH lines between the counted and the published refs and sentences."""
    if published is None:
        return []
    lines = []
    for key in ('refs', 'sentences'):
        for split, expected in published[key].items():
            counted = stats.get(split, {}).get(key, 0)
            if counted != expected:
                lines.append(f'MISMATCH: {split} has {counted:,} {key}, published {expected:,}')
    for split in stats:
        if split not in published['refs']:
            lines.append(f'MISMATCH: split {split!r} is not a published split of this dataset')
    return lines


def format_table(stats: Dict[str, Dict[str, int]], published: Optional[dict]) -> str:
    header = f'{"split":<8}{"images":>9}{"anns":>9}{"refs":>9}{"sentences":>11}'
    if published is not None:
        header += f'{"published refs":>17}{"sentences":>11}'
    rows = [header]
    for split, counts in stats.items():
        row = (
            f'{split:<8}{counts["images"]:>9,}{counts["anns"]:>9,}{counts["refs"]:>9,}'
            f'{counts["sentences"]:>11,}'
        )
        if published is not None:
            refs = published['refs'].get(split)
            sentences = published['sentences'].get(split)
            row += f'{"-" if refs is None else f"{refs:,}":>17}'
            row += f'{"-" if sentences is None else f"{sentences:,}":>11}'
        rows.append(row)
    return '\n'.join(rows)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='folder holding <dataset>/ and the image folder')
    parser.add_argument(
        '--dataset', default='refcoco', help='refcoco, refcoco+ or refcocog (the folder name)'
    )
    parser.add_argument('--split-by', default='unc', help='unc, umd or google')
    parser.add_argument('--img-dir', default='train2014', help='image folder under data_root')
    parser.add_argument(
        '--check-images',
        action='store_true',
        help='also decode every referenced image and compare its size with instances.json',
    )
    parser.add_argument(
        '--strict',
        action='store_true',
        help='exit with status 1 when a count differs or a problem is found',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    ann_file = osp.join(args.data_root, args.dataset, 'instances.json')
    split_file = osp.join(args.data_root, args.dataset, f'refs({args.split_by}).p')
    for path in (ann_file, split_file):
        if not osp.isfile(path):
            print(f'error: {path} does not exist (see docs/dataset_prepare.md)')
            return 2
    from mmengine.fileio import load

    from refseg.datasets.refcoco import load_refs

    instances = load(ann_file, file_format='json')
    try:
        refs = load_refs(split_file)  # builtin values only: a planted object is refused
    except (ValueError, TypeError, pickle.UnpicklingError) as error:
        print(f'error: {error}')
        return 2
    published = PUBLISHED.get((args.dataset, args.split_by))

    print(f'{args.dataset} ({args.split_by}): {split_file}')
    print(
        f'instances.json: {len(instances["images"]):,} images, '
        f'{len(instances["annotations"]):,} annotations, '
        f'{len(instances.get("categories", [])):,} categories'
    )
    stats = split_statistics(refs)
    print(format_table(stats, published))
    total = {key: sum(counts[key] for counts in stats.values()) for key in ('refs', 'sentences')}
    print(f'total: {total["refs"]:,} refs, {total["sentences"]:,} sentences')

    if published is None:
        print(f'no published counts for {args.dataset} ({args.split_by}); nothing compared')
    mismatches = compare(stats, published)
    img_dir = osp.join(args.data_root, args.img_dir) if args.check_images else None
    problems = find_problems(refs, instances, img_dir)
    for line in mismatches + problems:
        print(line)
    if published is not None and not mismatches:
        print('counts match the published numbers')
    if not problems:
        print('no problems found' + (' (image files checked)' if img_dir else ''))
    return 1 if args.strict and (mismatches or problems) else 0


if __name__ == '__main__':
    sys.exit(main())
