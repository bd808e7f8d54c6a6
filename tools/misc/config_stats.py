"""How long leaf configs are and how much of them is copied between leaves.

    python tools/misc/config_stats.py [CONFIG_DIR] [--exclude synthetic clip] [--verbose]

A leaf is a config outside ``_base_`` folders. A code line is a non-blank line that is
not only a comment, with leading/trailing whitespace and any trailing ``# comment``
removed. A line is "repeated" when the same code line also occurs in another leaf.
Prints the number of leaves, the median number of code lines per leaf, and the share
of all leaf code lines that are repeated (issue 11 asks for <= 10 and < 20 %).
"""

import argparse
import glob
import os.path as osp
import re
import statistics
from collections import Counter
from typing import Dict, List, Sequence

_TRAILING_COMMENT = re.compile(r"\s+#[^'\"]*$")


def code_lines(path: str) -> List[str]:
    """The normalised code lines of one config file."""
    lines = []
    with open(path, encoding='utf-8') as file:
        for line in file:
            line = _TRAILING_COMMENT.sub('', line.strip())
            if line and not line.startswith('#'):
                lines.append(line)
    return lines


def leaf_configs(config_dir: str, exclude: Sequence[str] = ()) -> List[str]:
    """Leaf config paths under ``config_dir``, without ``_base_`` and the excluded
    top-level folders."""
    paths = glob.glob(osp.join(config_dir, '**', '*.py'), recursive=True)
    leaves = []
    for path in sorted(paths):
        parts = osp.relpath(path, config_dir).split(osp.sep)
        if '_base_' not in parts and parts[0] not in exclude:
            leaves.append(path)
    return leaves


def config_stats(paths: Sequence[str]) -> Dict[str, float]:
    """``{'leaves', 'median_lines', 'repeated_fraction'}`` over the given leaves."""
    per_file = {path: code_lines(path) for path in paths}
    # In how many files each line occurs (a line repeated inside one file counts once).
    files_with = Counter(line for lines in per_file.values() for line in set(lines))
    total = sum(len(lines) for lines in per_file.values())
    repeated = sum(files_with[line] > 1 for lines in per_file.values() for line in lines)
    return dict(
        leaves=len(paths),
        median_lines=statistics.median(len(lines) for lines in per_file.values()),
        repeated_fraction=repeated / total if total else 0.0,
        code_lines=total,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config_dir', nargs='?', default='configs')
    parser.add_argument(
        '--exclude', nargs='*', default=[], help='top-level config folders to leave out'
    )
    parser.add_argument(
        '--verbose', action='store_true', help='also list each leaf with its number of code lines'
    )
    args = parser.parse_args()
    paths = leaf_configs(args.config_dir, args.exclude)
    stats = config_stats(paths)
    if args.verbose:
        for path in paths:
            print(f'{len(code_lines(path)):4d}  {osp.relpath(path, args.config_dir)}')
    print(
        f'{stats["leaves"]} leaf configs, {stats["code_lines"]} code lines; median '
        f'{stats["median_lines"]:g} lines per leaf; '
        f'{100 * stats["repeated_fraction"]:.1f} % of lines repeated in another leaf'
    )


if __name__ == '__main__':
    main()
