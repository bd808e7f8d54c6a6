"""Plot training curves from MMEngine's JSON logs.

    python tools/analysis_tools/analyze_logs.py plot_curve \
        work_dirs/cris_r50_refcoco/*/vis_data/scalars.json \
        --keys loss mIoU oIoU --out curves.png [--legend run1 run2] [--title TITLE]

A JSON log has one JSON object per line: training lines carry ``iter`` (and ``epoch`` in
epoch-based runs) with the losses; validation lines carry the metrics and ``step``, which
is the epoch when metrics are logged by epoch. Every curve is drawn against the iteration:
a validation step that is an epoch is placed at the last iteration logged in that epoch.
A key also matches a prefixed name (``mIoU`` matches ``refcoco/mIoU``). Each key gets its
own panel; several logs share the panels, one line each.
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
    plot.add_argument('json_logs', nargs='+',
                      help='JSON logs (vis_data/scalars.json or vis_data/<timestamp>.json)')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='scalars to plot, e.g. loss mIoU oIoU')
    plot.add_argument('--out', required=True, help='output image (.png, .pdf, .svg)')
    plot.add_argument('--legend', nargs='+', help='one label per log (default: file names)')
    plot.add_argument('--title', help='figure title')
    args = parser.parse_args(argv)
    if args.legend and len(args.legend) != len(args.json_logs):
        parser.error(
            f'--legend has {len(args.legend)} labels for {len(args.json_logs)} logs')
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
                raise ValueError(f'{path}:{number} is not JSON ({err.msg}): '
                                 f'{line.strip()[:80]}') from err
            if not isinstance(record, dict):
                raise ValueError(
                    f'{path}:{number} is not a JSON object: {line.strip()[:80]}')
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


def plot_curves(json_logs: Sequence[str], keys: Sequence[str], out: str,
                legend: Optional[Sequence[str]] = None,
                title: Optional[str] = None) -> None:
    """Draw one panel per key and one line per log, and save the figure to ``out``."""
    # The Agg canvas needs no display, and pyplot's global state is left alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = list(legend) if legend else [osp.basename(p) for p in json_logs]
    logs = [read_json_log(path) for path in json_logs]
    all_curves = [extract_curves(records, keys) for records in logs]
    for key in keys:
        if not any(key in curves for curves in all_curves):
            available = sorted({
                name for records in logs for record in records for name in record
                if name not in ('step', 'iter', 'epoch')})
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
    plot_curves(args.json_logs, args.keys, args.out, args.legend, args.title)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
