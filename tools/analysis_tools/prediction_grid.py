"""Draw a grid of referring predictions on a split: image, expression, prediction, ground truth.

    python tools/analysis_tools/prediction_grid.py CONFIG CHECKPOINT OUT.png \
        [--split val] [--num 6] [--title TITLE] [--cfg-options model.text_override='']

Each row shows one expression of the split (the first ``--num``, spread over different
images): the image with the expression as caption, the predicted mask and the ground-truth
mask over the image, and the sample's IoU. The model is built and its checkpoint loaded
(weights-only) with ``refseg.apis.init_model``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, List, Sequence

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
            ``gt`` (H, W) bool.
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
            (row['image'], f'"{row["text"]}"'),
            (overlay(row['image'], row['pred']), f'prediction (IoU {iou:.0f})'),
            (overlay(row['image'], row['gt'], (255, 255, 255)), 'ground truth'),
        )
        for axis, (picture, label) in zip(ax, panels):
            axis.imshow(picture)
            axis.set_title(label, fontsize=10)
            axis.axis('off')
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.canvas.draw()
    picture = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    plt.close(fig)
    # 256 colours without dithering keep the shapes' colours and a fifth of the bytes
    picture.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def spread_indices(image_ids: Sequence, num: int) -> List[int]:
    """Indices of the first ``num`` samples, one per image while images remain."""
    chosen, seen = [], set()
    for index, image_id in enumerate(image_ids):
        if image_id not in seen:
            chosen.append(index)
            seen.add(image_id)
        if len(chosen) == num:
            break
    return chosen


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
    for index in spread_indices([info['img_path'] for info in infos], args.num):
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
            )
        )
    draw_grid(rows, args.out, args.title)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
