"""Print what text-blind rules score on a gRefCOCO-format split, gRefCOCO-style.

Usage::

    python tools/analysis_tools/gres_text_blind.py data/synthetic --split val
    python tools/analysis_tools/gres_text_blind.py data --split val \
        --ann-file grefcoco/instances.json --split-file 'grefcoco/grefs(unc).json' \
        --img-prefix images/train2014/

Rules (one answer per image, whatever the expression): always empty ("no target"), the
union of all objects, and the rules of text_blind_baselines.py (largest, centre-most,
random object). Each is scored by ``RefSegMetric(gres=True)`` against every expression's
target (the union of its objects, or empty), like a model's masks: gIoU, cIoU, N-acc,
T-acc, Prec@70 over the expressions with a target.
"""

import argparse
import sys
from typing import Dict, List, Optional, Sequence

RULES = ('empty', 'all', 'largest', 'centre', 'random')
DESCRIPTIONS = dict(
    empty='always empty',
    all='union of all objects',
    largest='largest object',
    centre='centre-most object',
    random='random object',
)
METRIC_CFG = dict(gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9))


def gres_text_blind(
    data_root: str,
    split: str = 'val',
    ann_file: str = 'refcoco/instances.json',
    split_file: str = 'refcoco/grefs(unc).json',
    img_prefix: str = 'train2014/',
    seed: int = 0,
) -> Dict[str, Dict[str, float]]:
    """rule -> :meth:`RefSegMetric.summarize_gres` values on every expression of a split."""
    import numpy as np
    import torch
    from mmengine.fileio import join_path, load
    from mmengine.utils import is_abs

    from refseg.datasets.grefcoco import GRefCOCODataset
    from refseg.datasets.transforms import LoadRefMask
    from refseg.evaluation.metrics.ref_seg_metric import RefSegMetric
    from refseg.synthetic.text_blind import _object_masks, rule_masks

    dataset = GRefCOCODataset(
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        data_prefix=dict(img_path=img_prefix),
        split=split,
        sentence_mode='all',
        test_mode=True,
        serialize_data=False,
    )
    instances = load(ann_file if is_abs(ann_file) else join_path(data_root, ann_file))
    anns_of: Dict[int, List[dict]] = {}
    for ann in instances['annotations']:
        if not ann.get('iscrowd'):
            anns_of.setdefault(ann['image_id'], []).append(ann)
    metrics = {rule: RefSegMetric(**METRIC_CFG) for rule in RULES}
    load_mask = LoadRefMask()
    answered_image, answers = None, {}
    for index in range(len(dataset)):
        item = dataset.get_data_info(index)
        height, width, image_id = item['height'], item['width'], item['image_id']
        if image_id != answered_image:
            masks = _object_masks(anns_of.get(image_id, []), height, width)
            empty = np.zeros((height, width), bool)
            answers = (
                rule_masks(masks, np.random.default_rng([seed, image_id]))
                if masks
                else dict(all=empty, largest=empty, centre=empty, random=empty)
            )
            answers['empty'] = empty
            answered_image = image_id
        gt = torch.from_numpy(load_mask(dict(item))['gt_seg_map'])[None]
        for rule in RULES:
            pred = torch.from_numpy(answers[rule].astype(np.uint8))[None]
            metrics[rule].process(
                None,
                [
                    dict(
                        gt_sem_seg=dict(data=gt),
                        pred_sem_seg=dict(data=pred),
                        num_targets=item['num_targets'],
                        ref_id=item['ref_id'],
                        sent_id=item['sent_id'],
                        image_id=image_id,
                        text=item['text'],
                        img_path=item['img_path'],
                    )
                ],
            )
    return {rule: metric.summarize(metric.results) for rule, metric in metrics.items()}


def format_table(results: Dict[str, Dict[str, float]]) -> str:
    """A Markdown table: rule, gIoU, cIoU, N-acc, T-acc, Prec@70, expressions."""
    from refseg.synthetic.text_blind import rule_table

    return rule_table(results, DESCRIPTIONS, ('gIoU', 'cIoU', 'N-acc', 'T-acc', 'Prec@70'))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='dataset root, e.g. data/synthetic')
    parser.add_argument('--split', default='val', help='split (default val)')
    parser.add_argument(
        '--ann-file', default='refcoco/instances.json', help='COCO instances file under data_root'
    )
    parser.add_argument(
        '--split-file', default='refcoco/grefs(unc).json', help='gRefCOCO refs under data_root'
    )
    parser.add_argument('--img-prefix', default='train2014/', help='image folder under data_root')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random rule')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    results = gres_text_blind(
        args.data_root,
        split=args.split,
        ann_file=args.ann_file,
        split_file=args.split_file,
        img_prefix=args.img_prefix,
        seed=args.seed,
    )
    print(f'Text-blind rules on split {args.split!r} of {args.data_root} (gRES):')
    print(format_table(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
