"""Write mmdet-readable copies of PartImageNet's annotation files.

Usage::

    python tools/dataset_converters/sanitize_partimagenet.py data/partimagenet
    python tools/dataset_converters/sanitize_partimagenet.py data/partimagenet_ood \
        --layout ood

mmdet's ``CocoMetric`` hands the raw polygons to pycocotools, which fails when an
annotation's first polygon has fewer than 6 numbers (the real files have such polygons).
For each split this writes ``<split>_mmdet.json`` next to ``<split>.json`` with the
degenerate polygons dropped (see ``sanitize_for_mmdet``); the Mask R-CNN configs'
``CocoMetric`` reads these. With ``--layout ood`` the image file names also get their wnid
folder, so that the OOD Mask R-CNN config's datasets read them too. The referring
datasets and ``PartMaskRCNNMetric`` keep reading the original files, whose hygiene is
their own.
"""

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

SPLITS = ('train', 'val', 'test')


def split_files(root: str, layout: str, split: str):
    """The original and sanitised annotation paths of one split."""
    folder = osp.join(root, 'annotations', split) if layout == 'seg' else root
    return osp.join(folder, f'{split}.json'), osp.join(folder, f'{split}_mmdet.json')


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='dataset folder, e.g. data/partimagenet')
    parser.add_argument('--layout', choices=('seg', 'ood'), default='seg')
    parser.add_argument('--splits', nargs='+', default=SPLITS)
    args = parser.parse_args(argv)
    from refseg.datasets.partimagenet import sanitize_for_mmdet

    for split in args.splits:
        ann_file, out_file = split_files(args.root, args.layout, split)
        if not osp.isfile(ann_file):
            print(f'{split}: no {ann_file}, skipped')
            continue
        stats = sanitize_for_mmdet(ann_file, out_file, wnid_folders=args.layout == 'ood')
        print(
            f'{split}: {out_file} ({stats["dropped_polygons"]} degenerate polygons and '
            f'{stats["dropped_annotations"]} annotations dropped of '
            f'{stats["annotations"]})'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
