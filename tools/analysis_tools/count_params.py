"""Count a model's parameters, total and trainable, per module.

    python tools/analysis_tools/count_params.py CONFIG [--depth 2] [--cfg-options ...]

The model is built from the config without loading any weights (``init_cfg`` is not run),
so no checkpoint is needed. "Trainable" is ``requires_grad`` after the model's own
freezing (e.g. RISCLIP's stage 1 vs stage 2). Modules are listed down to ``--depth`` name
components (``backbone``, ``cfe.cross_attns``, ``decode_head.decoder`` ...).
"""
import argparse
from collections import OrderedDict
from typing import Dict, Tuple

import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from refseg.registry import MODELS


def count_by_module(model: nn.Module, depth: int) -> Dict[str, Tuple[int, int]]:
    """``{module name: (total, trainable)}`` for the first ``depth`` components of every
    parameter name, in order of first appearance."""
    counts: Dict[str, Tuple[int, int]] = OrderedDict()
    for name, param in model.named_parameters():
        key = '.'.join(name.split('.')[:-1][:depth]) or name
        total, trainable = counts.get(key, (0, 0))
        counts[key] = (total + param.numel(),
                       trainable + (param.numel() if param.requires_grad else 0))
    return counts


def format_table(counts: Dict[str, Tuple[int, int]]) -> str:
    """A Markdown table of the counts in millions, with a total row."""
    lines = ['| module | parameters (M) | trainable (M) |', '|---|---:|---:|']
    for name, (total, trainable) in counts.items():
        lines.append(f'| {name} | {total / 1e6:.2f} | {trainable / 1e6:.2f} |')
    total = sum(c[0] for c in counts.values())
    trainable = sum(c[1] for c in counts.values())
    lines.append(f'| **total** | **{total / 1e6:.2f}** | **{trainable / 1e6:.2f}** |')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Count parameters per module.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--depth', type=int, default=2,
                        help='name components per listed module (default 2)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.stage=2')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.depth < 1:
        raise SystemExit(f'--depth must be >= 1, got {args.depth}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'refseg'))
    model = MODELS.build(cfg.model)
    print(f'{args.config}')
    print(format_table(count_by_module(model, args.depth)))


if __name__ == '__main__':
    main()
