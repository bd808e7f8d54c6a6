"""Count a model's parameters, total and trainable, per module.

    python tools/analysis_tools/count_params.py CONFIG [--expand cfe decode_head]
                                                [--cfg-options ...]

The model is built from the config without loading any weights (``init_cfg`` is not run),
so no checkpoint is needed. "Trainable" is ``requires_grad`` after the model's own
freezing (e.g. RISCLIP's stage 1 vs stage 2). Each top-level module gets a row; those
named in ``--expand`` get one row per child instead (``cfe.cross_attns``,
``decode_head.decoder`` ...).
"""

import argparse
from collections import OrderedDict
from typing import TYPE_CHECKING, Dict, Sequence, Tuple

if TYPE_CHECKING:
    import torch.nn as nn


def count_by_module(model: 'nn.Module', expand: Sequence[str] = ()) -> Dict[str, Tuple[int, int]]:
    """``{module name: (total, trainable)}`` per top-level module, or per child for the
    modules in ``expand``, in order of first appearance."""
    counts: Dict[str, Tuple[int, int]] = OrderedDict()
    for name, param in model.named_parameters():
        parts = name.split('.')
        key = '.'.join(parts[:2]) if parts[0] in expand and len(parts) > 2 else parts[0]
        total, trainable = counts.get(key, (0, 0))
        counts[key] = (
            total + param.numel(),
            trainable + (param.numel() if param.requires_grad else 0),
        )
    return counts


def _readable(count: int) -> str:
    return f'{count / 1e6:.2f}M' if count >= 10_000 else str(count)


def format_table(counts: Dict[str, Tuple[int, int]]) -> str:
    """A Markdown table of the counts (millions from 10k up), with a total row."""
    lines = ['| module | parameters | trainable |', '|---|---:|---:|']
    for name, (total, trainable) in counts.items():
        lines.append(f'| {name} | {_readable(total)} | {_readable(trainable)} |')
    total = sum(c[0] for c in counts.values())
    trainable = sum(c[1] for c in counts.values())
    lines.append(f'| **total** | **{_readable(total)}** | **{_readable(trainable)}** |')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Count parameters per module.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--expand',
        nargs='*',
        default=['cfe', 'decode_head'],
        help='top-level modules listed per child (default: cfe decode_head)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config settings, e.g. model.stage=2',
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()

    from mmengine.registry import init_default_scope

    from refseg.registry import MODELS
    from refseg.utils.config import load_config

    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'refseg'))
    model = MODELS.build(cfg.model)
    print(f'{args.config}')
    print(format_table(count_by_module(model, args.expand)))


if __name__ == '__main__':
    main()
