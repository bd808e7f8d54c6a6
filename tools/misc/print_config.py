"""Print a config as refseg's tools will run it: bases merged, overrides applied.

    python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...] [--save PATH]

CONFIG is a path or ``refseg::<path under configs/>``. ``--save`` also writes the merged
config (a .py file that ``tools/train.py`` accepts as it is).
"""

import argparse
import sys
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the merged config.')
    parser.add_argument(
        'config', help='config file, or refseg::<path under configs/> for an installed one'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config settings as tools/train.py does',
    )
    parser.add_argument('--save', metavar='PATH', help='also write the merged config here')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from refseg.utils.config import load_config

    cfg = load_config(args.config, args.cfg_options)
    print(f'Config: {cfg.filename}')
    print(cfg.pretty_text)
    if args.save:
        cfg.dump(args.save)
        print(f'saved to {args.save}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
