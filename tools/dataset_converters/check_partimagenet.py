"""Check a PartImageNet folder: counts per split, against the published ones, and problems.

Usage::

    python tools/dataset_converters/check_partimagenet.py data/partimagenet
    python tools/dataset_converters/check_partimagenet.py data/partimagenet_ood \
        --layout ood --check-images --strict

For every split it prints the images and part annotations in the COCO-style file (and,
for the Seg release, the comparison with the numbers quoted for it), the referring
samples that ``PartImageNetRefDataset`` builds from them (one per image and part
category present) and what its hygiene dropped: degenerate polygons, zero-area
annotations, annotations without a valid polygon, empty masks. It also reports wnids
missing from refseg's name table and parts whose superclass disagrees with the table,
and with ``--check-images`` image files that are missing. A missing annotation file makes the
exit status 2. With ``--strict`` the exit
status is 1 when a count differs from the published one or a problem was found.
"""

import argparse
import os.path as osp
import sys
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

# (images, part annotations) per split of the Seg release. Train and test are the numbers
# of the task's source document; val is inferred from the 24,095 images / 111,960 parts of
# the whole dataset. The OOD release publishes image counts only (README).
PUBLISHED = dict(
    seg=dict(train=(20481, 95059), val=(1206, 5626), test=(2408, 11275)),
    ood=dict(train=(16540, None), val=(2957, None), test=(4598, None)),
)
INFERRED = {('seg', 'val')}
MAX_LISTED = 5


def split_paths(root: str, layout: str, split: str) -> Tuple[str, str]:
    """The annotation file and image folder of a split."""
    if layout == 'seg':
        return (
            osp.join(root, 'annotations', split, f'{split}.json'),
            osp.join(root, 'images', split),
        )
    return osp.join(root, f'{split}.json'), osp.join(root, split)


def image_path(img_dir: str, layout: str, file_name: str) -> str:
    if layout == 'ood' and '/' not in file_name:
        file_name = osp.join(file_name[:9], file_name)
    return osp.join(img_dir, file_name)


def compare(found: int, published: Optional[int], inferred: bool) -> str:
    if published is None:
        return ''
    source = 'inferred' if inferred else 'published'
    verdict = 'ok' if found == published else f'MISMATCH ({found - published:+,})'
    return f'  [{source} {published:,}: {verdict}]'


def wnid_problems(parts: dict) -> List[str]:
    """Wnids without a shipped name, and part superclasses contradicting the table."""
    from refseg.datasets.imagenet_classes import PARTIMAGENET_OBJECT_CLASSES, is_wnid

    problems = []
    unknown: Counter = Counter()
    contradicting: Counter = Counter()
    categories = {cat['id']: cat for cat in parts['categories']}
    for sample in parts['samples']:
        file_name = parts['images'][sample['image_id']]['file_name']
        wnid = osp.basename(file_name)[:9]
        known = PARTIMAGENET_OBJECT_CLASSES.get(wnid)
        if not is_wnid(wnid) or known is None:
            unknown[wnid] += 1
        elif known[1] != categories[sample['category_id']]['supercategory']:
            contradicting[(wnid, known[1], categories[sample['category_id']]['supercategory'])] += 1
    if unknown:
        problems.append(
            f'{len(unknown)} wnids have no name in refseg.datasets.'
            f'imagenet_classes (pass synset_mapping_file): '
            f'{sorted(unknown)[:MAX_LISTED]}'
        )
    if contradicting:
        listed = [
            f'{wnid} table={table} file={found} ({count} samples)'
            for (wnid, table, found), count in contradicting.most_common(MAX_LISTED)
        ]
        problems.append(
            f'{len(contradicting)} (wnid, superclass) pairs contradict the name table: {listed}'
        )
    return problems


def check_split(root: str, layout: str, split: str, check_images: bool) -> Tuple[bool, bool]:
    """Print one split's report; returns (counts differ from published, problems found)."""
    from refseg.datasets.partimagenet import load_part_annotations

    ann_file, img_dir = split_paths(root, layout, split)
    if not osp.isfile(ann_file):
        print(f'{split}: annotation file {ann_file} not found')
        return False, True
    parts = load_part_annotations(ann_file)
    stats: Dict[str, int] = parts['stats']
    published_images, published_anns = PUBLISHED[layout].get(split, (None, None))
    inferred = (layout, split) in INFERRED
    differs = (published_images is not None and stats['images'] != published_images) or (
        published_anns is not None and stats['annotations'] != published_anns
    )
    print(f'{split}: {ann_file}')
    print(
        f'  images            {stats["images"]:>8,}'
        f'{compare(stats["images"], published_images, inferred)}'
    )
    print(
        f'  part annotations  {stats["annotations"]:>8,}'
        f'{compare(stats["annotations"], published_anns, inferred)}'
    )
    print(f'  categories        {len(parts["categories"]):>8}')
    print(
        f'  referring samples {stats["samples"]:>8,}  (image, part) pairs, '
        f'{stats["multi_annotation_samples"]:,} unions of several annotations, '
        f'{stats["images_with_samples"]:,} images'
    )
    print(
        f'  filtered: {stats["dropped_polygons"]:,} degenerate polygons, '
        f'{stats["dropped_zero_area"]:,} zero-area annotations, '
        f'{stats["dropped_no_polygon"]:,} annotations without a valid polygon, '
        f'{stats["dropped_empty_masks"]:,} empty masks'
    )
    per_superclass = Counter(
        next(
            cat['supercategory']
            for cat in parts['categories']
            if cat['id'] == sample['category_id']
        )
        for sample in parts['samples']
    )
    print(
        '  samples per superclass: '
        + ', '.join(f'{name} {count:,}' for name, count in sorted(per_superclass.items()))
    )
    problems = wnid_problems(parts)
    if check_images:
        missing = [
            image['file_name']
            for image in parts['images'].values()
            if not osp.isfile(image_path(img_dir, layout, image['file_name']))
        ]
        if missing:
            problems.append(
                f'{len(missing)} image files missing under {img_dir}: {missing[:MAX_LISTED]}'
            )
    for problem in problems:
        print(f'  PROBLEM: {problem}')
    return differs, bool(problems)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='dataset folder, e.g. data/partimagenet')
    parser.add_argument(
        '--layout', choices=('seg', 'ood'), default='seg', help='release layout (default seg)'
    )
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val', 'test'],
        help='splits to check (default train val test)',
    )
    parser.add_argument(
        '--check-images', action='store_true', help='also check that every image file exists'
    )
    parser.add_argument(
        '--strict', action='store_true', help='exit with status 1 on a count mismatch or a problem'
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    flagged = False
    for split in args.splits:
        differs, problems = check_split(args.root, args.layout, split, args.check_images)
        flagged = flagged or differs or problems
    missing = [
        split
        for split in args.splits
        if not osp.isfile(split_paths(args.root, args.layout, split)[0])
    ]
    if missing:
        # As check_refer.py: a missing annotation file is an error, --strict or not.
        print(
            f'error: no annotation file for split(s) {missing} under {args.root} '
            f'(--layout {args.layout}; see docs/partimagenet.md)'
        )
        return 2
    return 1 if args.strict and flagged else 0


if __name__ == '__main__':
    sys.exit(main())
