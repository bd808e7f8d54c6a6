"""The part-granularity study's tables and figures from the ``--out`` records of runs.

    python tools/analysis_tools/partseg_report.py --ann-file TEST_JSON --out-dir DIR \
        --run NAME RECORDS RESOLUTION FORM [--run ...] \
        [--cris NAME --maskrcnn NAME] [--bootstrap 1000] [--grid-rows 8] [--note TEXT]

Each ``--run`` is a per-sample record file written by ``tools/test.py --out`` with
``PartRefSegMetric`` (CRIS, RISCLIP) or ``PartMaskRCNNMetric`` (Mask R-CNN), its input
resolution and its expression form. Records pair across runs by (image id, part
category). ``--ann-file`` is the split's PartImageNet file: it gives part sizes, the
text-blind rules (answers that ignore which part is asked) and the ground truth of the
figures. ``DIR`` gets ``report.md`` with

* the main table: mIoU, oIoU, Prec@50-90, mIoU_part per run, with resolution, expression
  form and coverage (Mask R-CNN A leaves unsupported superclasses out), mIoU_part on the
  samples every run answers, and the text-blind rules;
* the per-part table (``per_part.csv`` too): IoU_c and n per run, ``--cris`` minus
  ``--maskrcnn``, superclass subtotals;
* results by part size (share of the image: tiny < 1 %, small 1-5 %, medium 5-20 %,
  large >= 20 %);
* a paired bootstrap 95 % interval of mIoU_part(cris) - mIoU_part(maskrcnn) on their
  common samples;
* ``per_part.png``, a per-part bar chart, and ``qualitative.png``, image | GT | CRIS |
  Mask R-CNN with each IoU, from the masks saved with ``save_masks=True``.
"""

import argparse
import csv
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    import numpy as np

Key = Tuple[int, int]
SIZE_BUCKETS = (
    ('tiny', 0.0, 0.01),
    ('small', 0.01, 0.05),
    ('medium', 0.05, 0.20),
    ('large', 0.20, 1.01),
)
PRECS = (0.5, 0.6, 0.7, 0.8, 0.9)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ann-file', required=True, help="the split's PartImageNet json")
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--run',
        nargs=4,
        action='append',
        required=True,
        metavar=('NAME', 'RECORDS', 'RESOLUTION', 'FORM'),
    )
    parser.add_argument(
        '--cris', help='run compared in the delta, CI and figures (default: the first run)'
    )
    parser.add_argument('--maskrcnn', help='the other run compared (default: the last)')
    parser.add_argument('--bootstrap', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--grid-rows', type=int, default=8)
    parser.add_argument('--note', default='', help='a line printed under the title')
    return parser.parse_args(argv)


# ------------------------------------------------------------------ data
class Split:
    """The split's samples: ground truth RLEs, sizes and part names, by (image, part)."""

    def __init__(self, ann_file: str) -> None:
        from pycocotools import mask as mask_utils

        from refseg.datasets.partimagenet import load_part_annotations
        from refseg.structures.coco_mask import mask_ann_to_rle

        parts = load_part_annotations(ann_file)
        self.images = parts['images']
        self.categories = {cat['id']: cat for cat in parts['categories']}
        self.rles: Dict[Key, dict] = {}
        self.share: Dict[Key, float] = {}
        for sample in parts['samples']:
            image = self.images[sample['image_id']]
            key = (sample['image_id'], sample['category_id'])
            rle = mask_ann_to_rle(sample['segmentation'], image['height'], image['width'])
            self.rles[key] = rle
            self.share[key] = float(mask_utils.area(rle)) / (image['height'] * image['width'])
        self.keys = sorted(self.rles)

    def gt(self, key: Key) -> 'np.ndarray':
        from pycocotools import mask as mask_utils

        return mask_utils.decode(self.rles[key]).astype(bool)


def read_records(path: str, split: Split) -> Dict[Key, dict]:
    from mmengine.fileio import load

    records = load(path)
    by_key = {}
    for record in records:
        key = (int(record['image_id']), int(record['category_id']))
        if key not in split.rles:
            raise KeyError(
                f'{path}: record for image {key[0]}, part category {key[1]} is '
                'not a sample of --ann-file; are both the same split?'
            )
        if key in by_key:
            raise ValueError(
                f'{path}: two records for image {key[0]}, part {key[1]}; '
                'evaluate one expression form per run'
            )
        by_key[key] = record
    return by_key


def text_blind_runs(split: Split, seed: int) -> Dict[str, Dict[Key, dict]]:
    """Answers that ignore which part is asked: one mask per image for every query."""
    import numpy as np

    rng = np.random.default_rng(seed)
    by_image: Dict[int, List[Key]] = {}
    for key in split.keys:
        by_image.setdefault(key[0], []).append(key)
    runs: Dict[str, Dict[Key, dict]] = OrderedDict(
        (name, {})
        for name in ('all parts (whole object)', 'largest part', 'centre-most part', 'random part')
    )
    for image_id, keys in by_image.items():
        image = split.images[image_id]
        gts = {key: split.gt(key) for key in keys}
        centre = np.array([image['height'] / 2, image['width'] / 2])

        def distance(key):
            ys, xs = np.nonzero(gts[key])
            return np.hypot(ys.mean() - centre[0], xs.mean() - centre[1])

        answers = {
            'all parts (whole object)': np.any(list(gts.values()), axis=0),
            'largest part': gts[max(keys, key=lambda k: gts[k].sum())],
            'centre-most part': gts[min(keys, key=distance)],
            'random part': gts[keys[rng.integers(len(keys))]],
        }
        for name, pred in answers.items():
            for key in keys:
                inter = int((pred & gts[key]).sum())
                union = int((pred | gts[key]).sum())
                runs[name][key] = dict(
                    intersection=inter, union=union, iou=inter / union if union else 0.0
                )
    return runs


# ------------------------------------------------------------------ numbers
def summarise(records: Dict[Key, dict], keys: Optional[Sequence[Key]] = None) -> dict:
    import numpy as np

    keys = sorted(records) if keys is None else keys
    ious = np.array([records[k]['iou'] for k in keys])
    inter = sum(records[k]['intersection'] for k in keys)
    union = sum(records[k]['union'] for k in keys)
    summary = dict(n=len(keys), mIoU=100 * ious.mean(), oIoU=100 * inter / max(union, 1))
    for t in PRECS:
        summary[f'Prec@{int(t * 100)}'] = 100 * (ious > t).mean()
    summary['mIoU_part'] = float(np.mean(list(class_ious(records, keys).values())))
    return summary


def class_ious(records: Dict[Key, dict], keys: Optional[Sequence[Key]] = None) -> Dict[int, float]:
    """Part category -> cumulative IoU (percent) over its samples among ``keys``."""
    sums: Dict[int, List[int]] = {}
    for key in sorted(records) if keys is None else keys:
        total = sums.setdefault(key[1], [0, 0])
        total[0] += records[key]['intersection']
        total[1] += records[key]['union']
    return {cat: 100 * i / max(u, 1) for cat, (i, u) in sorted(sums.items())}


def paired_bootstrap(
    a: Dict[Key, dict], b: Dict[Key, dict], keys: Sequence[Key], reps: int, seed: int
) -> Tuple[float, float, float]:
    """mIoU_part(a) - mIoU_part(b) on ``keys`` and its 95 % percentile interval, resampling
    samples with replacement (the same resample for both runs)."""
    import numpy as np

    cats = np.array([k[1] for k in keys])
    _, cat_index = np.unique(cats, return_inverse=True)
    num_cats = cat_index.max() + 1
    arrays = [
        np.array([[r[k]['intersection'], r[k]['union']] for k in keys], dtype=float) for r in (a, b)
    ]

    def part_miou(counts, weights):
        inter = np.bincount(cat_index, weights=counts[:, 0] * weights, minlength=num_cats)
        union = np.bincount(cat_index, weights=counts[:, 1] * weights, minlength=num_cats)
        present = np.bincount(cat_index, weights=weights, minlength=num_cats) > 0
        return 100 * np.mean(inter[present] / np.maximum(union[present], 1))

    ones = np.ones(len(keys))
    delta = part_miou(arrays[0], ones) - part_miou(arrays[1], ones)
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(reps):
        weights = np.bincount(rng.integers(len(keys), size=len(keys)), minlength=len(keys))
        deltas.append(part_miou(arrays[0], weights) - part_miou(arrays[1], weights))
    low, high = np.percentile(deltas, [2.5, 97.5])
    return float(delta), float(low), float(high)


# ------------------------------------------------------------------ output
def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    def cell(value):
        return f'{value:.1f}' if isinstance(value, float) else str(value)

    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(cell(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines)


def bar_chart(
    path: str, split: Split, runs: Dict[str, Dict[Key, dict]], names: Sequence[str]
) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    cats = sorted({k[1] for name in names for k in runs[name]})
    fig, ax = plt.subplots(figsize=(max(8, 0.3 * len(cats)), 4.2))
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        ious = class_ious(runs[name])
        x = np.arange(len(cats)) + (index - (len(names) - 1) / 2) * width
        bars = ax.bar(x, [ious.get(c, 0.0) for c in cats], width, label=name)
        unanswered = [i for i, c in enumerate(cats) if c not in ious]
        ax.plot(
            x[unanswered], [1.5] * len(unanswered), 'x', ms=4, color=bars.patches[0].get_facecolor()
        )
    ax.set_xticks(np.arange(len(cats)))
    ax.set_xticklabels([split.categories[c]['name'] for c in cats], rotation=90, fontsize=7)
    ax.set_ylabel('IoU_c (cumulative, %)')
    ax.set_ylim(0, 100)
    # Above the axes: inside, the legend hides bars that reach 90-100.
    ax.legend(fontsize=8, ncol=len(names), loc='lower right', bbox_to_anchor=(1.0, 1.0))
    ax.set_title(
        'Per-part IoU_c (x: not answered, e.g. an unsupported superclass)', fontsize=9, loc='left'
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def qualitative_grid(
    path: str, split: Split, runs: Dict[str, Dict[Key, dict]], a: str, b: str, rows: int
) -> int:
    """Samples where the two runs differ most, half won by each, as image | GT | a | b."""
    import cv2
    import matplotlib
    import numpy as np
    from pycocotools import mask as mask_utils

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    common = [
        k
        for k in sorted(set(runs[a]) & set(runs[b]))
        if 'pred_rle' in runs[a][k] and 'pred_rle' in runs[b][k] and runs[a][k].get('img_path')
    ]
    if not common:
        return 0
    diff = sorted(common, key=lambda k: runs[a][k]['iou'] - runs[b][k]['iou'])
    chosen = list(OrderedDict.fromkeys(diff[-(rows - rows // 2) :][::-1] + diff[: rows // 2]))[
        :rows
    ]
    fig, axes = plt.subplots(len(chosen), 4, figsize=(8, 2.1 * len(chosen)), squeeze=False)
    for row, key in enumerate(chosen):
        image = cv2.imread(runs[a][key]['img_path'])[..., ::-1]
        panels = [('image', None, None), ('GT', split.gt(key), None)]
        for name in (a, b):
            rle = runs[name][key]['pred_rle']
            pred = mask_utils.decode(dict(size=rle['size'], counts=rle['counts'].encode()))
            panels.append((name, pred.astype(bool), runs[name][key]['iou']))
        for col, (title, mask, iou) in enumerate(panels):
            ax = axes[row, col]
            shown = image.copy()
            if mask is not None:
                # Dim what is outside the mask so that the mask reads whatever the colours.
                colour = np.array([0, 230, 0] if col == 1 else [255, 30, 30])
                shown = (0.3 * shown).astype(np.uint8)
                shown[mask] = (0.4 * image[mask] + 0.6 * colour).astype(np.uint8)
            ax.imshow(shown)
            ax.set_xticks([])
            ax.set_yticks([])
            label = title if iou is None else f'{title}\nIoU {100 * iou:.0f}'
            if col == 0:
                label = runs[a][key].get('text') or split.categories[key[1]]['name']
            ax.set_title(label, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return len(chosen)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    import numpy as np

    os.makedirs(args.out_dir, exist_ok=True)
    split = Split(args.ann_file)
    runs: Dict[str, Dict[Key, dict]] = OrderedDict()
    meta = {}
    for name, path, resolution, form in args.run:
        runs[name] = read_records(path, split)
        meta[name] = (resolution, form)
    cris = args.cris or args.run[0][0]
    maskrcnn = args.maskrcnn or args.run[-1][0]
    for name in (cris, maskrcnn):
        if name not in runs:
            raise KeyError(f'--cris / --maskrcnn {name!r} is not a --run name: {list(runs)}')
    blind = text_blind_runs(split, args.seed)
    common = sorted(set.intersection(*(set(r) for r in runs.values())))

    out = [f'# Part-granularity RIS: {len(runs)} runs on {args.ann_file}', '']
    if args.note:
        out += [args.note, '']
    header = (
        ['run', 'resolution', 'expression', 'answered', 'mIoU', 'oIoU']
        + [f'Prec@{int(t * 100)}' for t in PRECS]
        + ['mIoU_part', 'mIoU_part (common)']
    )
    rows = []
    for name, records in list(runs.items()) + [(f'text-blind: {n}', r) for n, r in blind.items()]:
        s = summarise(records)
        resolution, form = meta.get(name, ('-', 'ignored'))
        rows.append(
            [name, resolution, form, f'{s["n"]}/{len(split.keys)}', s['mIoU'], s['oIoU']]
            + [s[f'Prec@{int(t * 100)}'] for t in PRECS]
            + [s['mIoU_part'], summarise(records, common)['mIoU_part'] if common else '-']
        )
    out += [
        '## Main table',
        '',
        'Percent. `answered`: samples the run scores (a detector without a class for a '
        'superclass leaves its parts unsupported). `mIoU_part (common)`: on the '
        f'{len(common)} samples every run answers.',
        '',
        markdown_table(header, rows),
        '',
    ]

    # Per part.
    per_run = {name: class_ious(records) for name, records in runs.items()}
    counts = {name: {} for name in runs}
    for name, records in runs.items():
        for key in records:
            counts[name][key[1]] = counts[name].get(key[1], 0) + 1
    cats = sorted(split.categories)
    header = ['part', 'n'] + list(runs) + [f'{cris} - {maskrcnn}']
    rows, csv_rows = [], []
    superclasses: Dict[str, List[int]] = OrderedDict()
    for cat in cats:
        superclasses.setdefault(split.categories[cat]['supercategory'], []).append(cat)
    for superclass, members in superclasses.items():
        for cat in members:
            n = sum(1 for k in split.keys if k[1] == cat)
            if not n:
                continue
            values = [per_run[name].get(cat) for name in runs]
            delta = (
                per_run[cris][cat] - per_run[maskrcnn][cat]
                if cat in per_run[cris] and cat in per_run[maskrcnn]
                else None
            )
            row = (
                [split.categories[cat]['name'], n]
                + ['-' if v is None else v for v in values]
                + ['-' if delta is None else delta]
            )
            rows.append(row)
            csv_rows.append(row)
        subtotal = []
        for name in runs:
            present = [per_run[name][c] for c in members if c in per_run[name]]
            subtotal.append(float(np.mean(present)) if present else '-')
        n = sum(1 for k in split.keys if k[1] in members)
        delta = (
            subtotal[list(runs).index(cris)] - subtotal[list(runs).index(maskrcnn)]
            if '-' not in (subtotal[list(runs).index(cris)], subtotal[list(runs).index(maskrcnn)])
            else '-'
        )
        rows.append([f'**{superclass}** (mean)', n] + subtotal + [delta])
    out += [
        '## Per part',
        '',
        "IoU_c: cumulative I / U over the part's samples, percent; `-`: not answered.",
        '',
        markdown_table(header, rows),
        '',
    ]
    with open(osp.join(args.out_dir, 'per_part.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(csv_rows)

    # By size.
    header = ['run'] + [f'{name} (n)' for name, _, _ in SIZE_BUCKETS]
    rows = []
    for name, records in list(runs.items()) + [(f'text-blind: {n}', r) for n, r in blind.items()]:
        row = [name]
        for _, low, high in SIZE_BUCKETS:
            ious = [records[k]['iou'] for k in records if low <= split.share[k] < high]
            row.append(f'{100 * np.mean(ious):.1f} ({len(ious)})' if ious else '- (0)')
        rows.append(row)
    out += [
        '## By part size',
        '',
        "Mean per-sample IoU by the part's share of the image: "
        'tiny < 1 %, small 1-5 %, medium 5-20 %, large >= 20 %.',
        '',
        markdown_table(header, rows),
        '',
    ]

    # Paired bootstrap.
    pair = sorted(set(runs[cris]) & set(runs[maskrcnn]))
    delta, low, high = paired_bootstrap(runs[cris], runs[maskrcnn], pair, args.bootstrap, args.seed)
    out += [
        '## Paired bootstrap',
        '',
        f'mIoU_part({cris}) - mIoU_part({maskrcnn}) on their {len(pair)} common samples: '
        f'**{delta:+.1f}** points, 95 % interval [{low:+.1f}, {high:+.1f}] '
        f'({args.bootstrap} resamples of the samples, seed {args.seed}).',
        '',
    ]

    # Figures.
    bar_chart(osp.join(args.out_dir, 'per_part.png'), split, runs, [cris, maskrcnn])
    shown = qualitative_grid(
        osp.join(args.out_dir, 'qualitative.png'), split, runs, cris, maskrcnn, args.grid_rows
    )
    out += ['## Figures', '', '![per part](per_part.png)', '']
    if shown:
        out += [
            '![qualitative](qualitative.png)',
            '',
            f'{shown} samples where {cris} and {maskrcnn} differ most (half won by '
            f"each), titled with {cris}'s expression; green: ground truth, red: "
            'prediction, the rest dimmed.',
            '',
        ]
    else:
        out += [
            'No qualitative grid: the records hold no masks (test with '
            'test_evaluator.save_masks=True).',
            '',
        ]
    report = osp.join(args.out_dir, 'report.md')
    with open(report + '.tmp', 'w') as f:
        f.write('\n'.join(out))
    os.replace(report + '.tmp', report)
    print('\n'.join(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
