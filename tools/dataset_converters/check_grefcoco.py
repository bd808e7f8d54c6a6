"""Check a gRefCOCO folder: counts per split and kind, against the published ones, and problems.

Usage::

    python tools/dataset_converters/check_grefcoco.py data
    python tools/dataset_converters/check_grefcoco.py data --check-images --strict

Reads ``DATA_ROOT/grefcoco/grefs(unc).json`` and ``DATA_ROOT/grefcoco/instances.json``
(ReLA's layout; see ``--split-file`` / ``--ann-file``) and prints, per split, the images,
refs and expressions (sentences), and the expressions with one, several and no target. The
total of expressions is compared with the published count of the released file (flagged
``MISMATCH``). It also reports malformed refs (``ann_id`` not an int, a list or ``[-1]``,
``no_target`` contradicting it), targets missing from ``instances.json`` or on another
image, malformed or empty target masks, refs without sentences (the release has some; the
dataset drops them) and, with ``--check-images``, missing image files. With ``--strict``
the exit status is 1 when a count differs or a problem other than refs without sentences
was found.
"""

import argparse
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

# Expressions in the released grefs(unc).json (train and val; testA and testB are held
# back): 259,859, as the gRefCOCO maintainers state in henghuiding/gRefCOCO issue #6. The
# GRES paper's 278,232 counts the held-back part too.
PUBLISHED_RELEASED_EXPRESSIONS = 259859
PAPER_EXPRESSIONS = 278232
NO_SENTENCES = 'ref without sentences'
MAX_LISTED = 5
KINDS = ('single', 'multi', 'none')


def split_statistics(refs: List[dict], split_file: str) -> Dict[str, Dict[str, int]]:
    from refseg.datasets.grefcoco import target_ann_ids

    """Images, refs, expressions and expressions per kind of each split (file order)."""
    images: Dict[str, set] = defaultdict(set)
    counts: Dict[str, Dict[str, int]] = defaultdict(
        lambda: dict(refs=0, expressions=0, single=0, multi=0, none=0)
    )
    for ref in refs:
        try:
            ann_ids = target_ann_ids(ref, split_file)
        except ValueError:
            continue  # reported by find_problems
        kind = 'none' if not ann_ids else 'single' if len(ann_ids) == 1 else 'multi'
        split = ref['split']
        images[split].add(ref['image_id'])
        counts[split]['refs'] += 1
        counts[split]['expressions'] += len(ref['sentences'])
        counts[split][kind] += len(ref['sentences'])
    return {split: dict(images=len(images[split]), **counts[split]) for split in counts}


def find_problems(
    refs: List[dict], instances: dict, split_file: str, img_dir: Optional[str]
) -> Dict[str, List[str]]:
    """Problems of the refs against ``instances.json`` (and image files), by kind."""
    from refseg.datasets.grefcoco import target_ann_ids
    from refseg.structures.coco_mask import mask_ann_problem

    images = {image['id']: image for image in instances['images']}
    annotations = {ann['id']: ann for ann in instances['annotations']}
    found: Dict[str, List[str]] = defaultdict(list)
    for ref in refs:
        ref_id = ref.get('ref_id')
        try:
            ann_ids = target_ann_ids(ref, split_file)
        except (ValueError, KeyError) as err:
            found['malformed ref'].append(str(err))
            continue
        image = images.get(ref['image_id'])
        if image is None:
            found['image_id missing from instances.json'].append(
                f'ref_id={ref_id} image_id={ref["image_id"]}'
            )
            continue
        if not ref['sentences']:
            found[NO_SENTENCES].append(f'ref_id={ref_id}')
        for ann_id in ann_ids:
            ann = annotations.get(ann_id)
            if ann is None:
                found['ann_id missing from instances.json'].append(
                    f'ref_id={ref_id} ann_id={ann_id}'
                )
            elif ann['image_id'] != image['id']:
                found['target on another image'].append(
                    f'ref_id={ref_id} ann_id={ann_id} (image_id={ann["image_id"]})'
                )
            else:
                problem = mask_ann_problem(
                    ann.get('segmentation', []), image['height'], image['width']
                )
                if problem is not None:
                    found['invalid target mask'].append(
                        f'ref_id={ref_id} ann_id={ann_id}: {problem}'
                    )
    if img_dir is not None:
        used = sorted({ref['image_id'] for ref in refs if ref['image_id'] in images})
        for image_id in used:
            path = osp.join(img_dir, images[image_id]['file_name'])
            if not osp.isfile(path):
                found['image file missing'].append(path)
    return dict(found)


def format_problems(found: Dict[str, List[str]]) -> List[str]:
    lines = []
    for kind, items in found.items():
        listed = '; '.join(items[:MAX_LISTED])
        more = f' and {len(items) - MAX_LISTED} more' if len(items) > MAX_LISTED else ''
        lines.append(f'{len(items)} x {kind}: {listed}{more}')
    return lines


def format_table(stats: Dict[str, Dict[str, int]]) -> str:
    rows = [
        f'{"split":<8}{"images":>9}{"refs":>9}{"expressions":>13}'
        f'{"single":>9}{"multi":>9}{"none":>9}'
    ]
    for split, c in stats.items():
        rows.append(
            f'{split:<8}{c["images"]:>9,}{c["refs"]:>9,}{c["expressions"]:>13,}'
            f'{c["single"]:>9,}{c["multi"]:>9,}{c["none"]:>9,}'
        )
    return '\n'.join(rows)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='folder holding grefcoco/ and the image folder')
    parser.add_argument(
        '--split-file', default='grefcoco/grefs(unc).json', help='gRefCOCO refs under data_root'
    )
    parser.add_argument(
        '--ann-file', default='grefcoco/instances.json', help='COCO instances under data_root'
    )
    parser.add_argument(
        '--img-dir', default='images/train2014', help='image folder under data_root'
    )
    parser.add_argument(
        '--expected-expressions',
        type=int,
        default=PUBLISHED_RELEASED_EXPRESSIONS,
        help='total expressions to compare with; 0 compares nothing',
    )
    parser.add_argument(
        '--check-images',
        action='store_true',
        help='also check that every referenced image file exists',
    )
    parser.add_argument(
        '--strict',
        action='store_true',
        help='exit with status 1 when a count differs or a problem is found',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from mmengine.fileio import load

    split_file = osp.join(args.data_root, args.split_file)
    ann_file = osp.join(args.data_root, args.ann_file)
    for path in (split_file, ann_file):
        if not osp.isfile(path):
            print(f'error: {path} does not exist (see docs/dataset_prepare.md)')
            return 2
    refs = load(split_file, file_format='json')
    if not isinstance(refs, list):
        print(f'error: {split_file} holds a {type(refs).__name__}; expected a JSON list')
        return 2
    instances = load(ann_file, file_format='json')

    print(f'gRefCOCO: {split_file}')
    print(
        f'instances.json: {len(instances["images"]):,} images, '
        f'{len(instances["annotations"]):,} annotations'
    )
    stats = split_statistics(refs, split_file)
    print(format_table(stats))
    total = sum(c['expressions'] for c in stats.values())
    by_kind = {kind: sum(c[kind] for c in stats.values()) for kind in KINDS}
    print(
        f'total: {sum(c["refs"] for c in stats.values()):,} refs, {total:,} expressions '
        f'({by_kind["single"]:,} single, {by_kind["multi"]:,} multi, '
        f'{by_kind["none"]:,} no target)'
    )

    mismatches = []
    if args.expected_expressions:
        if total != args.expected_expressions:
            mismatches.append(
                f'MISMATCH: {total:,} expressions, published '
                f'{args.expected_expressions:,} for the released file'
            )
        else:
            print(
                f'expressions match the published {args.expected_expressions:,} '
                f'(the paper counts {PAPER_EXPRESSIONS:,} with testA/testB)'
            )
    img_dir = osp.join(args.data_root, args.img_dir) if args.check_images else None
    found = find_problems(refs, instances, split_file, img_dir)
    for line in mismatches + format_problems(found):
        print(line)
    serious = {kind for kind in found if kind != NO_SENTENCES}
    if not found:
        print('no problems found' + (' (image files checked)' if img_dir else ''))
    return 1 if args.strict and (mismatches or serious) else 0


if __name__ == '__main__':
    sys.exit(main())
