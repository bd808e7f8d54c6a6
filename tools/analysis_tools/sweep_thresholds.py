"""Choose a model's binarisation threshold on one split, by one metric.

    python tools/analysis_tools/sweep_thresholds.py CONFIG CHECKPOINT \
        --param threshold --values 0.2 0.3 0.35 0.4 0.5 [--split val] \
        [--select mIoU_part] [--out sweep.json] [--cfg-options KEY=VALUE ...]

The model runs once over the split; the evaluated metric is copied once per value of
``--param`` (``threshold`` of ``RefSegMetric`` / ``PartRefSegMetric``, CRIS's mask
threshold on ``sigmoid(seg_logits)``; ``score_thr`` of ``PartMaskRCNNMetric``, Mask
R-CNN's instance score threshold) and each copy scores the same predictions. The value
with the highest ``--select`` wins (the first on ties). ``--out`` gets every value's
metrics and the choice, for example to apply it on test:

    python tools/test.py CONFIG CHECKPOINT --cfg-options test_evaluator.threshold=0.3

Other metrics of the evaluator (e.g. COCO AP) are left out of the sweep.
"""

import argparse
import copy
import inspect
import json
import os
import os.path as osp
import sys
import tempfile
from typing import TYPE_CHECKING, List, Optional, Sequence

if TYPE_CHECKING:
    from mmengine.config import Config


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--param', required=True, help='metric argument to sweep: threshold or score_thr'
    )
    parser.add_argument('--values', type=float, nargs='+', required=True)
    parser.add_argument(
        '--split',
        choices=('val', 'test'),
        default='val',
        help='the dataloader and evaluator of this split are used '
        '(default val: choose on val, apply on test)',
    )
    parser.add_argument(
        '--select', default='mIoU_part', help='metric key to maximise (default mIoU_part)'
    )
    parser.add_argument('--out', help="JSON file for every value's metrics and the choice")
    parser.add_argument('--work-dir', help='folder for the logs (default: a temporary one)')
    parser.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE')
    return parser.parse_args(argv)


def _takes(metric_class: type, name: str) -> bool:
    return any(
        name in inspect.signature(klass.__init__).parameters
        for klass in metric_class.__mro__
        if '__init__' in vars(klass)
    )


def sweep_evaluator(cfg: 'Config', split: str, param: str, values: Sequence[float]) -> List[dict]:
    """One copy per value of the split's metric that takes ``param``, keys prefixed."""
    from mmengine.registry import METRICS

    evaluator = cfg[f'{split}_evaluator']
    metrics = [evaluator] if isinstance(evaluator, dict) else list(evaluator)
    with METRICS.switch_scope_and_registry(cfg.get('default_scope')) as registry:
        chosen = [
            m
            for m in metrics
            if (klass := registry.get(m['type'])) is not None and _takes(klass, param)
        ]
    if not chosen:
        raise ValueError(
            f'{cfg.filename}: no {split}_evaluator metric takes {param!r} '
            f'(metrics: {[m["type"] for m in metrics]})'
        )
    copies = []
    for value in values:
        metric = copy.deepcopy(chosen[0])
        metric[param] = value
        metric['prefix'] = f'{param}={value:g}'
        metric.pop('output_file', None)
        copies.append(metric)
    return copies


def choose(results: dict, param: str, values: Sequence[float], select: str) -> float:
    """The value whose ``select`` is highest (the first one on ties)."""
    scores = []
    for value in values:
        key = f'{param}={value:g}/{select}'
        if key not in results:
            raise KeyError(f'the evaluation gave no {key!r}; keys: {sorted(results)[:8]}...')
        scores.append(results[key])
    return values[max(range(len(values)), key=lambda i: (scores[i], -i))]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from refseg.engine.launcher import build_runner
    from refseg.utils.config import load_config

    cfg = load_config(args.config, args.cfg_options)
    cfg.test_dataloader = cfg[f'{args.split}_dataloader']
    cfg.test_evaluator = sweep_evaluator(cfg, args.split, args.param, args.values)
    cfg.setdefault('test_cfg', dict(type='TestLoop'))
    if cfg.test_cfg is None:
        cfg.test_cfg = dict(type='TestLoop')
    cfg.load_from = args.checkpoint
    cfg.resume = False
    cfg.work_dir = args.work_dir or tempfile.mkdtemp(prefix='sweep_')
    for key in (
        'train_dataloader',
        'train_cfg',
        'optim_wrapper',
        'param_scheduler',
        'val_dataloader',
        'val_cfg',
        'val_evaluator',
    ):
        cfg[key] = None
    results = build_runner(cfg).test()
    best = choose(results, args.param, args.values, args.select)
    table = {
        f'{value:g}': {
            key.split('/', 1)[1]: val
            for key, val in results.items()
            if key.startswith(f'{args.param}={value:g}/')
        }
        for value in args.values
    }
    print(f'{args.param} on {args.split} by {args.select}:')
    for value, metrics in table.items():
        print(f'  {value:>6} {metrics[args.select]:8.2f}')
    print(f'best {args.param}={best:g}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        tmp = args.out + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    checkpoint=args.checkpoint,
                    param=args.param,
                    split=args.split,
                    select=args.select,
                    best=best,
                    results=table,
                ),
                f,
                indent=2,
            )
        os.replace(tmp, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
