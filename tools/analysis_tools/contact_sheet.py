"""One PNG of N samples of a split: image with its expression | ground truth | prediction.

    python tools/analysis_tools/contact_sheet.py CONFIG CHECKPOINT \
        [--split val] [--num 8] [--out contact_sheet.png] [--device cpu] \
        [--cfg-options KEY=VALUE ...]

The samples are spread evenly over the split (sentence by sentence, in the dataset's
order), so the same arguments give the same sheet. Masks are drawn by
:class:`~refseg.visualization.RefSegLocalVisualizer` (outline, light fill, legend,
"(empty)" / "no target"); predictions come from :class:`refseg.apis.RefSegInferencer`.
"""

import argparse
import os
import os.path as osp
import sys
from typing import TYPE_CHECKING, List, Optional, Sequence

if TYPE_CHECKING:
    import numpy as np


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--split', default=None, help="dataset split (default: the config's test split)"
    )
    parser.add_argument('--num', type=int, default=8, help='samples (rows), default 8')
    parser.add_argument('--out', default='contact_sheet.png', help='output PNG')
    parser.add_argument('--device', default='cpu', help='torch device (default cpu)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config settings, e.g. data_root=...',
    )
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f'--num must be >= 1, got {args.num}')
    return args


def pick(count: int, num: int) -> List[int]:
    """``num`` indices spread evenly over ``range(count)``, without repeats."""
    import numpy as np

    return sorted(set(np.linspace(0, count - 1, min(num, count)).round().astype(int)))


def sheet_row(
    visualizer, image: 'np.ndarray', text: str, gt: 'np.ndarray', pred: dict, gap: int = 4
) -> 'np.ndarray':
    """image | ground truth | prediction panels of one sample, side by side (RGB)."""
    import numpy as np

    from refseg.visualization.local_visualizer import contrasting_color, pad_to_height

    gt_color = contrasting_color(image, gt, visualizer.colors)
    panels = pad_to_height(
        [
            visualizer.draw_panel(image, None, text),
            visualizer.draw_panel(image, gt, None, kind='gt', color=gt_color),
            visualizer.draw_panel(
                image, pred['mask'], None, kind='pred', score=pred['score'], avoid=(gt_color,)
            ),
        ]
    )
    spacer = np.full((panels[0].shape[0], gap, 3), 255, np.uint8)
    return np.concatenate([panels[0], spacer, panels[1], spacer, panels[2]], axis=1)


def stack_rows(rows: Sequence['np.ndarray'], gap: int = 4) -> 'np.ndarray':
    """Rows one under the other, white gaps between, padded to the widest."""
    import numpy as np

    width = max(r.shape[1] for r in rows)
    parts = []
    for row in rows:
        pad = np.full((row.shape[0], width - row.shape[1], 3), 255, np.uint8)
        parts += [np.concatenate([row, pad], axis=1), np.full((gap, width, 3), 255, np.uint8)]
    return np.concatenate(parts[:-1], axis=0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    import mmcv
    from mmengine.registry import init_default_scope

    from refseg.apis import RefSegInferencer
    from refseg.registry import DATASETS
    from refseg.utils.config import load_config
    from refseg.visualization import binary_mask

    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'refseg'))
    dataset_cfg = cfg.test_dataloader.dataset
    if args.split is not None:
        dataset_cfg.split = args.split
    dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        print(f'error: split {dataset_cfg.get("split")!r} is empty', file=sys.stderr)
        return 2
    inferencer = RefSegInferencer(
        cfg, weights=args.checkpoint, device=args.device, show_progress=False
    )
    rows = []
    for index in pick(len(dataset), args.num):
        sample = dataset[index]['data_samples']
        text, path = sample.metainfo['text'], sample.metainfo['img_path']
        pred = inferencer(path, text)['predictions'][0][0]
        image = mmcv.imread(path, channel_order='rgb')
        gt = binary_mask(sample.gt_sem_seg.data)
        if gt.shape != image.shape[:2]:
            raise ValueError(
                f'{path}: ground truth {gt.shape} is not at the image size '
                f'{image.shape[:2]}: the test pipeline must load the mask '
                'after the letterbox'
            )
        rows.append(sheet_row(inferencer.visualizer, image, text, gt, pred))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not mmcv.imwrite(mmcv.rgb2bgr(stack_rows(rows)), args.out):
        print(f'error: could not write {args.out}', file=sys.stderr)
        return 1
    print(f'wrote {args.out}: {len(rows)} samples of split {dataset_cfg.get("split")!r}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
