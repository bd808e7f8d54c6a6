"""Draw a grid of referring predictions on a split: image, expression, prediction, ground truth.

    python tools/analysis_tools/prediction_grid.py CONFIG CHECKPOINT OUT.png \
        [--split val] [--num 6] [--title TITLE] [--cfg-options model.text_override='']

Each row shows one expression of the split (the first ``--num``, spread over different
images): the image with the expression as caption, the predicted mask and the ground-truth
mask over the image, and the sample's IoU. On a gRES split the rows take single-target,
multi-target and no-target expressions in turn, and a "no target" answer or ground truth
is written over its panel (an empty prediction of an empty target scores IoU 100, as gIoU
counts it). The model is built and its checkpoint loaded (weights-only) with
``refseg.apis.init_model``.
"""

from __future__ import annotations

import argparse
import itertools
from typing import TYPE_CHECKING, List, Optional, Sequence

if TYPE_CHECKING:
    import numpy as np


def overlay(image: np.ndarray, mask: np.ndarray, colour=(255, 0, 0)) -> np.ndarray:
    """The RGB image darkened, with ``mask`` painted in ``colour`` over it."""
    import numpy as np

    out = 0.35 * image.astype(np.float32)
    out[mask] = 0.3 * image[mask] + 0.7 * np.array(colour, np.float32)
    return out.astype(np.uint8)


def draw_grid(rows: Sequence[dict], path: str, title: str = '') -> None:
    """Save a grid, one row per sample.

    Args:
        rows (Sequence[dict]): ``image`` (H, W, 3) RGB uint8, ``text`` str, ``pred`` and
            ``gt`` (H, W) bool; for gRES also ``no_target_score`` (the model's, float)
            with ``pred_no_target`` (bool), and ``gt_no_target`` (bool).
        path (str): Output PNG.
        title (str): Figure title.
    """
    # Imported here (not at module top) so that --help answers at once.
    import matplotlib
    import numpy as np
    from PIL import Image

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 3, figsize=(9.6, 2.7 * len(rows)), squeeze=False, dpi=80)
    for row, ax in zip(rows, axes):
        inter = np.logical_and(row['pred'], row['gt']).sum()
        union = np.logical_or(row['pred'], row['gt']).sum()
        iou = 100.0 * inter / union if union else 100.0
        panels = (
            (row['image'], f'"{row["text"]}"', False),
            (
                overlay(row['image'], row['pred']),
                prediction_label(row, iou),
                row.get('pred_no_target'),
            ),
            (
                overlay(row['image'], row['gt'], (255, 255, 255)),
                'ground truth: no target' if row.get('gt_no_target') else 'ground truth',
                row.get('gt_no_target'),
            ),
        )
        for axis, (picture, label, no_target) in zip(ax, panels):
            axis.imshow(picture)
            axis.set_title(label, fontsize=10)
            axis.axis('off')
            if no_target:
                axis.text(
                    0.5,
                    0.5,
                    'no target',
                    color='white',
                    fontsize=14,
                    ha='center',
                    va='center',
                    transform=axis.transAxes,
                    bbox=dict(facecolor='black', alpha=0.6, edgecolor='none'),
                )
    if title:
        fig.suptitle(title, fontsize=12)
    # Leave the title its own strip above the first row's captions.
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()) if title else None)
    fig.canvas.draw()
    picture = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    plt.close(fig)
    # 256 colours without dithering keep the shapes' colours and a fifth of the bytes
    picture.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def prediction_label(row: dict, iou: float) -> str:
    """The prediction panel's caption: IoU, and the no-target head's score if any (its
    decision is written over the panel)."""
    label = f'prediction (IoU {iou:.0f})'
    if row.get('no_target_score') is None:
        return label
    return f'{label}\nno-target score {row["no_target_score"]:.2f}'


def target_kind(info: dict) -> Optional[str]:
    """'single', 'multi' or 'none' for a gRES item, None for a REFER one."""
    if 'no_target' not in info:
        return None
    if info['no_target']:
        return 'none'
    return 'multi' if info.get('num_targets', 1) > 1 else 'single'


def spread_indices(image_ids: Sequence, num: int, kinds: Optional[Sequence] = None) -> List[int]:
    """Indices of ``num`` samples, one per image while images remain; with ``kinds`` (one
    per sample, e.g. :func:`target_kind`), the kinds in turn, in the order they first
    appear."""
    if not kinds or None in kinds:
        kinds = [None] * len(image_ids)
    queues = []
    for kind in dict.fromkeys(kinds):
        members = [index for index, k in enumerate(kinds) if k == kind]
        seen, firsts = set(), []
        for index in members:
            if image_ids[index] not in seen:
                seen.add(image_ids[index])
                firsts.append(index)
        first_set = set(firsts)
        queues.append(firsts + [index for index in members if index not in first_set])
    chosen = []
    for turn in itertools.zip_longest(*queues):
        chosen.extend(index for index in turn if index is not None)
    return chosen[:num]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--split', default='val')
    parser.add_argument('--num', type=int, default=6)
    parser.add_argument('--title', default='')
    parser.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE')
    args = parser.parse_args()

    # Imported once the arguments are parsed, so that --help answers at once.
    import mmcv
    import torch
    from mmengine.dataset import pseudo_collate

    from refseg.apis import init_model
    from refseg.registry import DATASETS
    from refseg.utils.config import load_config

    cfg = load_config(args.config, args.cfg_options)
    model = init_model(cfg, args.checkpoint, device='cpu')
    dataset_cfg = cfg.val_dataloader.dataset
    dataset_cfg.split = args.split
    dataset = DATASETS.build(dataset_cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    rows = []
    image_paths = [info['img_path'] for info in infos]
    for index in spread_indices(image_paths, args.num, [target_kind(info) for info in infos]):
        data = dataset[index]
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([data]))[0]
        image = mmcv.imread(sample.metainfo['img_path'], channel_order='rgb')
        rows.append(
            dict(
                image=image,
                text=sample.metainfo['text'],
                pred=sample.pred_sem_seg.data[0].numpy().astype(bool),
                gt=sample.gt_sem_seg.data[0].numpy() > 0.5,
                no_target_score=sample.get('no_target_score'),
                pred_no_target=sample.get('pred_no_target'),
                gt_no_target=infos[index].get('no_target'),
            )
        )
    draw_grid(rows, args.out, args.title)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
