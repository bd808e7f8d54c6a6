"""Write a tiny synthetic dataset in PartImageNet's file format.

Usage::

    python tools/dataset_converters/generate_partimagenet.py data/partimagenet_synthetic
    python tools/dataset_converters/generate_partimagenet.py OUT --num-images 220 44 44 \
        --seed 1 --image-size 96 160 --layout ood

Objects of the 11 superclasses are drawn as coloured part polygons (a quadruped is a
body, a head, four feet and a tail ...) and annotated with the 40 official part
categories. ``--layout seg`` (default) writes the Seg release's layout
(``images/<split>/``, ``annotations/<split>/<split>.json`` and per-image part label
PNGs); ``--layout ood`` the OOD release's (``<split>/<wnid>/``, ``<split>.json``). The
same arguments always give the same files. See refseg/synthetic/partimagenet.py.
"""

import argparse
import sys
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder, e.g. data/partimagenet_synthetic')
    parser.add_argument(
        '--num-images',
        type=int,
        nargs=3,
        default=None,
        metavar=('TRAIN', 'VAL', 'TEST'),
        help="images per split (default: the generator's DEFAULT_NUM_IMAGES)",
    )
    parser.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=(64, 128),
        metavar=('MIN', 'MAX'),
        help='range of image height and width (default 64 128)',
    )
    parser.add_argument(
        '--layout',
        choices=('seg', 'ood'),
        default='seg',
        help='release layout to imitate (default seg)',
    )
    parser.add_argument(
        '--no-defects',
        action='store_true',
        help='leave out the degenerate / zero-area annotations that the real files have',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from refseg.synthetic.partimagenet import DEFAULT_NUM_IMAGES, generate_partimagenet

    num_images = (
        dict(zip(('train', 'val', 'test'), args.num_images))
        if args.num_images
        else dict(DEFAULT_NUM_IMAGES)
    )
    summary = generate_partimagenet(
        args.out,
        num_images=num_images,
        seed=args.seed,
        layout=args.layout,
        image_size=tuple(args.image_size),
        with_defects=not args.no_defects,
    )
    for split, counts in summary.items():
        print(
            f'{split:<5} {counts["images"]:>5} images {counts["annotations"]:>6} part '
            f'annotations -> {counts["ann_file"]}'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
