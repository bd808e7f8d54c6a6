"""Print what text-blind rules score on a referring split (no model, no expression read).

Usage::

    python tools/analysis_tools/text_blind_baselines.py data/synthetic --split val
    python tools/analysis_tools/text_blind_baselines.py data/refcoco --split testA \
        --ann-file refcoco/instances.json --split-file 'refcoco/refs(unc).p'
    python tools/analysis_tools/text_blind_baselines.py data/synthetic --split val --gres
    python tools/analysis_tools/text_blind_baselines.py data --split val --gres \
        --ann-file grefcoco/instances.json --split-file 'grefcoco/grefs(unc).json' \
        --img-prefix images/train2014/

Rules (one answer per image, whatever the expression): the largest object, the object
nearest the image centre, the union of all objects, a random object (fixed seed). They are
scored by RefSegMetric against each expression's referent, like a model's masks, so the
table belongs beside every results table (see refseg.synthetic.text_blind).

With ``--gres`` the split is in the gRefCOCO layout and the rule "always empty" (no target)
joins; ``RefSegMetric(gres=True)`` scores them against every expression's target (the
union of its objects, or empty): gIoU, cIoU, N-acc, T-acc, Prec@70 over the expressions
with a target.
"""

import argparse
import sys
from typing import Dict, Optional, Sequence

# Same keys and order as refseg.synthetic.text_blind.RULES and GRES_RULES (imported only
# after parsing).
DESCRIPTIONS = dict(
    largest='largest object',
    centre='centre-most object',
    all='union of all objects',
    random='random object',
)
GRES_DESCRIPTIONS = dict(
    empty='always empty',
    all='union of all objects',
    largest='largest object',
    centre='centre-most object',
    random='random object',
)
SPLIT_FILES = dict(refer='refcoco/refs(unc).p', gres='refcoco/grefs(unc).json')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='dataset root, e.g. data/synthetic')
    parser.add_argument('--split', default='val', help='split (default val)')
    parser.add_argument(
        '--ann-file', default='refcoco/instances.json', help='COCO instances file under data_root'
    )
    parser.add_argument(
        '--split-file',
        help=f'refs under data_root (default {SPLIT_FILES["refer"]}, '
        f'with --gres {SPLIT_FILES["gres"]})',
    )
    parser.add_argument('--img-prefix', default='train2014/', help='image folder under data_root')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random rule')
    parser.add_argument(
        '--gres', action='store_true', help='gRefCOCO-format split, scored with the gRES rules'
    )
    args = parser.parse_args(argv)
    if args.split_file is None:
        args.split_file = SPLIT_FILES['gres' if args.gres else 'refer']
    return args


def format_table(results: Dict[str, Dict[str, float]], gres: bool = False) -> str:
    """A Markdown table: rule, mIoU, oIoU, Prec@50 (with ``gres``: gIoU, cIoU, N-acc, T-acc,
    Prec@70) and the number of expressions."""
    from refseg.synthetic.text_blind import rule_table

    if gres:
        return rule_table(results, GRES_DESCRIPTIONS, ('gIoU', 'cIoU', 'N-acc', 'T-acc', 'Prec@70'))
    return rule_table(results, DESCRIPTIONS, ('mIoU', 'oIoU', 'Prec@50'))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from refseg.synthetic.text_blind import gres_text_blind, text_blind_baselines

    score = gres_text_blind if args.gres else text_blind_baselines
    results = score(
        args.data_root,
        split=args.split,
        ann_file=args.ann_file,
        split_file=args.split_file,
        img_prefix=args.img_prefix,
        seed=args.seed,
    )
    kind = ' (gRES)' if args.gres else ''
    print(f'Text-blind rules on split {args.split!r} of {args.data_root}{kind}:')
    print(format_table(results, gres=args.gres))
    return 0


if __name__ == '__main__':
    sys.exit(main())
