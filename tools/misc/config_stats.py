"""How long leaf configs are and how much of them is copied between leaves.

    python tools/misc/config_stats.py [CONFIG_DIR] [--exclude synthetic clip] [--verbose]

A leaf is a config outside ``_base_`` folders. A code line is a non-blank line that is
not only a comment, with leading/trailing whitespace and any trailing ``# comment``
removed. A line is "repeated" when the same code line also occurs in another leaf.
Prints the number of leaves, the median number of code lines per leaf, and the share
of all leaf code lines that are repeated (issue 11 asks for <= 10 and < 20 %).

Line counts depend on formatting: ``model = dict(`` and a lone ``)`` repeat in every leaf
that sets a model value, and sibling leaves share their ``_base_`` line by design. So the
tool also counts **settings**: every value a leaf assigns, flattened to its dotted key
(``model.decode_head.threshold = 0.35``; a list or a non-``dict`` call is one value), the
``_base_`` list left out. A setting is repeated when another leaf assigns the same value
to the same key: the copy-paste the issue is about.
"""

import argparse
import ast
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


def _flatten(prefix: str, node: ast.expr) -> List[str]:
    """``key = value`` strings of one assigned value, ``dict(...)`` and ``{...}`` opened."""
    if isinstance(node, ast.Call) and ast.unparse(node.func) == 'dict' and not node.args:
        items = [(kw.arg, kw.value) for kw in node.keywords if kw.arg is not None]
        if len(items) == len(node.keywords):
            return [s for key, value in items for s in _flatten(f'{prefix}.{key}', value)]
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return [
            s
            for key, value in zip(node.keys, node.values)
            for s in _flatten(f'{prefix}.{key.value}', value)
        ]
    return [f'{prefix} = {ast.unparse(node)}']


def settings(path: str) -> List[str]:
    """The flattened settings a config file assigns at top level, ``_base_`` excluded."""
    with open(path, encoding='utf-8') as file:
        tree = ast.parse(file.read(), filename=path)
    found = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                name = ast.unparse(target)
                if name != '_base_':
                    found.extend(_flatten(name, statement.value))
    return found


def _repeated_share(per_file: Dict[str, List[str]]) -> float:
    """Share of all items that also occur in another file (counted once per file)."""
    files_with = Counter(item for items in per_file.values() for item in set(items))
    total = sum(len(items) for items in per_file.values())
    repeated = sum(files_with[item] > 1 for items in per_file.values() for item in items)
    return repeated / total if total else 0.0


def config_stats(paths: Sequence[str]) -> Dict[str, float]:
    """``{'leaves', 'median_lines', 'repeated_fraction'}`` over the given leaves."""
    per_file = {path: code_lines(path) for path in paths}
    per_file_settings = {path: settings(path) for path in paths}
    return dict(
        leaves=len(paths),
        median_lines=statistics.median(len(lines) for lines in per_file.values()),
        repeated_fraction=_repeated_share(per_file),
        code_lines=sum(len(lines) for lines in per_file.values()),
        settings=sum(len(found) for found in per_file_settings.values()),
        repeated_settings_fraction=_repeated_share(per_file_settings),
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
            print(
                f'{len(code_lines(path)):4d} lines {len(settings(path)):4d} settings  '
                f'{osp.relpath(path, args.config_dir)}'
            )
    print(
        f'{stats["leaves"]} leaf configs, {stats["code_lines"]} code lines; median '
        f'{stats["median_lines"]:g} lines per leaf; '
        f'{100 * stats["repeated_fraction"]:.1f} % of lines repeated in another leaf'
    )
    print(
        f'{stats["settings"]} settings; '
        f'{100 * stats["repeated_settings_fraction"]:.1f} % of them repeated in another leaf'
    )


if __name__ == '__main__':
    main()
