"""Write the synthetic world (coloured shapes; REFER, gRefCOCO and image-text pair files).

Usage::

    python tools/dataset_converters/generate_synthetic.py data/synthetic
    python tools/dataset_converters/generate_synthetic.py OUT --num-images 90 --seed 1 \
        --image-size 192 256

Writes ``OUT/train2014/*.jpg``, ``OUT/refcoco/instances.json``, ``OUT/refcoco/refs(unc).p``,
``OUT/refcoco/grefs(unc).json``, ``OUT/pairs_<split>.json`` and the marker
``OUT/synthetic_refer.json`` (docs/dataset_prepare.md describes them);
``SyntheticRefDataset`` (configs/_base_/datasets/synthetic.py) does the same on first use
when the folder is missing. The same
arguments always give the same files. An existing synthetic dataset in OUT is replaced; a
folder with other data is refused.
"""

import argparse
import sys
from typing import Optional, Sequence


def parse_split(text: str) -> tuple:
    name, _, weight = text.partition('=')
    try:
        return name, float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--splits entries are NAME=WEIGHT (e.g. train=6), got {text!r}'
        ) from None


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder, e.g. data/synthetic')
    parser.add_argument(
        '--num-images',
        type=int,
        default=None,
        help="images over all splits (default: the generator's, 1500)",
    )
    parser.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=None,
        metavar=('HEIGHT', 'WIDTH'),
        help="image size (default: the generator's, 192 256)",
    )
    parser.add_argument(
        '--splits',
        type=parse_split,
        nargs='+',
        default=None,
        metavar='NAME=WEIGHT',
        help="relative image counts per split (default: the generator's, "
        'train=12 val=1 testA=1 testB=1)',
    )
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from refseg.synthetic import generate_synthetic_refer

    # Options left out keep the generator's defaults.
    given = dict(
        num_images=args.num_images,
        image_size=args.image_size,
        splits=dict(args.splits) if args.splits else None,
    )
    counts = generate_synthetic_refer(
        args.out,
        seed=args.seed,
        progress=not args.no_progress,
        **{key: value for key, value in given.items() if value is not None},
    )
    print(
        f'wrote {counts["images"]} images, {counts["annotations"]} annotations, '
        f'{counts["refs"]} refs, {counts["sentences"]} sentences, {counts["pairs"]} '
        f'image-text pairs, {counts["grefs"]} gRES refs to {args.out}'
    )
    for split, split_counts in counts['splits'].items():
        print(
            f'  {split:<6} {split_counts["images"]:>5} images {split_counts["refs"]:>6} refs '
            f'{split_counts["sentences"]:>6} sentences {split_counts["pairs"]:>6} pairs'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
