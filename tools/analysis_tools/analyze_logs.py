"""Plot training curves and training speed from MMEngine's JSON logs.

    python tools/analysis_tools/analyze_logs.py plot_curve \
        work_dirs/cris_r50_refcoco/*/vis_data/scalars.json \
        --keys loss mIoU oIoU --out curves.png [--legend run1 run2] [--title TITLE]
    python tools/analysis_tools/analyze_logs.py cal_train_time \
        work_dirs/cris_r50_refcoco/*/vis_data/scalars.json [--include-outliers]

A JSON log has one JSON object per line: training lines carry ``iter`` (and ``epoch`` in
epoch-based runs) with the losses; validation lines carry the metrics and ``step``, which
is the epoch when metrics are logged by epoch. Every curve is drawn against the iteration:
a validation step that is an epoch is placed at the last iteration logged in that epoch.
A key also matches a prefixed name (``mIoU`` matches ``refcoco/mIoU``). Each key gets its
own panel; several logs share the panels, one line each, labelled by run (the work dir and
timestamp folders of the log, e.g. ``cris_r50_refcoco/20261121_101010``) unless
``--legend`` names them.

``cal_train_time`` reads the ``time`` of the training lines (seconds per iteration, averaged
over the logging interval) and reports, per log, the mean and the slowest and fastest
epochs. The first line of each epoch includes the data loader's start-up and is left out
unless ``--include-outliers``.
"""

import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

Curve = Tuple[List[float], List[float]]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyze MMEngine JSON logs')
    commands = parser.add_subparsers(dest='command', required=True)
    plot = commands.add_parser('plot_curve', help='plot scalar curves to an image file')
    plot.add_argument(
        'json_logs',
        nargs='+',
        help='JSON logs (vis_data/scalars.json or vis_data/<timestamp>.json)',
    )
    plot.add_argument(
        '--keys', nargs='+', default=['loss'], help='scalars to plot, e.g. loss mIoU oIoU'
    )
    plot.add_argument('--out', required=True, help='output image (.png, .pdf, .svg)')
    plot.add_argument(
        '--legend', nargs='+', help='one label per log (default: the run folders of each log)'
    )
    plot.add_argument('--title', help='figure title')
    speed = commands.add_parser('cal_train_time', help='seconds per training iteration')
    speed.add_argument('json_logs', nargs='+', help='JSON logs, as for plot_curve')
    speed.add_argument(
        '--include-outliers',
        action='store_true',
        help="keep each epoch's first line (data loader start-up)",
    )
    args = parser.parse_args(argv)
    if args.command == 'plot_curve' and args.legend and len(args.legend) != len(args.json_logs):
        parser.error(f'--legend has {len(args.legend)} labels for {len(args.json_logs)} logs')
    return args


def read_json_log(path: str) -> List[dict]:
    """The records of a JSON-lines log; a line that is not a JSON object is an error."""
    records = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(
                    f'{path}:{number} is not JSON ({err.msg}): {line.strip()[:80]}'
                ) from err
            if not isinstance(record, dict):
                raise ValueError(f'{path}:{number} is not a JSON object: {line.strip()[:80]}')
            records.append(record)
    return records


def _value(record: dict, key: str) -> Optional[float]:
    if key in record:
        return record[key]
    for name, value in record.items():
        if name.endswith('/' + key):
            return value
    return None


def extract_curves(records: List[dict], keys: Sequence[str]) -> Dict[str, Curve]:
    """(iterations, values) per key found in the records."""
    last_iter_of_epoch = {}
    for record in records:
        if 'iter' in record and 'epoch' in record:
            last_iter_of_epoch[record['epoch']] = record['iter']
    curves = {}
    for key in keys:
        xs, ys = [], []
        for record in records:
            value = _value(record, key)
            if value is None:
                continue
            if 'iter' in record:
                x = record['iter']
            else:  # validation: step is an epoch in epoch-based logs
                x = last_iter_of_epoch.get(record.get('step'), record.get('step', len(xs)))
            xs.append(x)
            ys.append(float(value))
        if xs:
            curves[key] = (xs, ys)
    return curves


def run_labels(json_logs: Sequence[str]) -> List[str]:
    """One label per log naming its run: the folders above ``vis_data`` that tell the logs
    apart (``cris_r50_refcoco/20261121_101010`` for ``work_dirs/cris_r50_refcoco/
    20261121_101010/vis_data/scalars.json``)."""
    runs = []
    for path in json_logs:
        parts = osp.normpath(osp.abspath(path)).split(osp.sep)
        if len(parts) > 2 and parts[-2] == 'vis_data':
            parts = parts[:-2]  # .../<timestamp>/vis_data/scalars.json
        elif parts[-1].endswith('.json'):
            parts[-1] = osp.splitext(parts[-1])[0]
        runs.append(parts)
    depth = 2
    # Add folders until every label differs (or the paths themselves are the same).
    while len({tuple(run[-depth:]) for run in runs}) < len(
        {tuple(run) for run in runs}
    ) and depth < max(len(run) for run in runs):
        depth += 1
    return ['/'.join(run[-depth:]) for run in runs]


def train_time(records: List[dict], include_outliers: bool = False) -> Dict[str, float]:
    """Mean seconds per iteration and the slowest / fastest epoch of one log.

    Raises:
        ValueError: If no training line carries ``time``.
    """
    per_epoch: Dict[int, List[float]] = {}
    for record in records:
        if 'time' in record and 'iter' in record:
            per_epoch.setdefault(record.get('epoch', 0), []).append(float(record['time']))
    if not include_outliers:
        per_epoch = {epoch: times[1:] for epoch, times in per_epoch.items() if times[1:]}
    if not per_epoch:
        raise ValueError(
            'no training line with "time" (and, without --include-outliers, '
            'more than one per epoch)'
        )
    means = {epoch: sum(times) / len(times) for epoch, times in per_epoch.items()}
    everything = [t for times in per_epoch.values() for t in times]
    mean = sum(everything) / len(everything)
    std = (sum((t - mean) ** 2 for t in everything) / len(everything)) ** 0.5
    slowest = max(means, key=means.get)
    fastest = min(means, key=means.get)
    return dict(
        mean=mean,
        std=std,
        slowest_epoch=slowest,
        slowest=means[slowest],
        fastest_epoch=fastest,
        fastest=means[fastest],
        lines=len(everything),
    )


def plot_curves(
    json_logs: Sequence[str],
    keys: Sequence[str],
    out: str,
    legend: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
) -> None:
    """Draw one panel per key and one line per log, and save the figure to ``out``."""
    # The Agg canvas needs no display, and pyplot's global state is left alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = list(legend) if legend else run_labels(json_logs)
    logs = [read_json_log(path) for path in json_logs]
    all_curves = [extract_curves(records, keys) for records in logs]
    for key in keys:
        if not any(key in curves for curves in all_curves):
            available = sorted(
                {
                    name
                    for records in logs
                    for record in records
                    for name in record
                    if name not in ('step', 'iter', 'epoch')
                }
            )
            raise KeyError(f'no log has the key {key!r}; keys found: {available}')

    fig = Figure(figsize=(7, 2.6 * len(keys)), layout='constrained')
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        for label, curves in zip(labels, all_curves):
            if key in curves:
                xs, ys = curves[key]
                ax.plot(xs, ys, marker='o' if len(xs) < 30 else None, label=label)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    axes[-1].set_xlabel('iteration')
    if title:
        fig.suptitle(title)
    fig.savefig(out, dpi=100)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.command == 'cal_train_time':
        for label, path in zip(run_labels(args.json_logs), args.json_logs):
            stats = train_time(read_json_log(path), args.include_outliers)
            print(
                f'{label} ({path}): {stats["mean"]:.4f} s/iter on average '
                f'(std {stats["std"]:.4f}, {stats["lines"]} log lines); slowest epoch '
                f'{stats["slowest_epoch"]}: {stats["slowest"]:.4f} s/iter, fastest epoch '
                f'{stats["fastest_epoch"]}: {stats["fastest"]:.4f} s/iter'
            )
        return 0
    plot_curves(args.json_logs, args.keys, args.out, args.legend, args.title)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
