"""Print what text-blind rules score on a referring split (no model, no expression read).

Usage::

    python tools/analysis_tools/text_blind_baselines.py data/synthetic --split val
    python tools/analysis_tools/text_blind_baselines.py data/refcoco --split testA \
        --ann-file refcoco/instances.json --split-file 'refcoco/refs(unc).p'

Rules (one answer per image, whatever the expression): the largest object, the object
nearest the image centre, the union of all objects, a random object (fixed seed). They are
scored by RefSegMetric against each expression's referent, like a model's masks, so the
table belongs beside every results table (see refseg.synthetic.text_blind).
"""

import argparse
import sys
from typing import Optional, Sequence

# Same keys and order as refseg.synthetic.text_blind.RULES (imported only after parsing).
DESCRIPTIONS = dict(
    largest='largest object',
    centre='centre-most object',
    all='union of all objects',
    random='random object',
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='dataset root, e.g. data/synthetic')
    parser.add_argument('--split', default='val', help='REFER split (default val)')
    parser.add_argument(
        '--ann-file', default='refcoco/instances.json', help='COCO instances file under data_root'
    )
    parser.add_argument(
        '--split-file', default='refcoco/refs(unc).p', help='REFER refs pickle under data_root'
    )
    parser.add_argument('--img-prefix', default='train2014/', help='image folder under data_root')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random rule')
    return parser.parse_args(argv)


def format_table(results: dict) -> str:
    """A Markdown table: rule, mIoU, oIoU, Prec@50 and the number of expressions."""
    from refseg.synthetic.text_blind import rule_table

    return rule_table(results, DESCRIPTIONS, ('mIoU', 'oIoU', 'Prec@50'))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from refseg.synthetic.text_blind import text_blind_baselines

    results = text_blind_baselines(
        args.data_root,
        split=args.split,
        ann_file=args.ann_file,
        split_file=args.split_file,
        img_prefix=args.img_prefix,
        seed=args.seed,
    )
    print(f'Text-blind rules on split {args.split!r} of {args.data_root}:')
    print(format_table(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
