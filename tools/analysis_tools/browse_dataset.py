"""Look at what a config's dataset and pipeline feed the model: masks and expressions.

    python tools/analysis_tools/browse_dataset.py CONFIG [--split train|val|test] \
        [--output-dir DIR] [--not-show] [--max-samples N] [--cfg-options KEY=VALUE ...]

Each sample is drawn after the pipeline: the ground-truth mask in green over the image,
with the expression on it. Training pipelines letterbox image and mask together, so the
drawing shows the network input; test pipelines keep the mask at the original resolution,
so it is drawn over the original image. Files are named
``{split}_{index:05d}_{image stem}_ref{ref_id}_sent{sent_id}.png`` (ids when present), one
per sample, so several sentences of one image do not overwrite each other. A progress bar
is drawn only when stdout is a terminal.
"""

import argparse
import os.path as osp
import sys
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    import numpy as np


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Browse a referring dataset')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='train',
        help='which dataloader of the config to browse',
    )
    parser.add_argument('--output-dir', help='folder for the drawings')
    parser.add_argument('--not-show', action='store_true', help='do not open a window')
    parser.add_argument(
        '--show-interval', type=float, default=2, help='seconds each shown drawing stays'
    )
    parser.add_argument(
        '--max-samples', type=int, default=20, help='number of samples to draw (<= 0: all)'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config entries, e.g. train_dataloader.dataset.data_root=data/coco',
    )
    args = parser.parse_args(argv)
    if args.not_show and not args.output_dir:
        parser.error('--not-show without --output-dir would draw nothing')
    return args


def sample_name(split: str, index: int, metainfo: dict) -> str:
    """``{split}_{index:05d}_{stem}[_ref{ref_id}][_sent{sent_id}]``."""
    parts = [split, f'{index:05d}']
    if metainfo.get('img_path'):
        parts.append(osp.splitext(osp.basename(metainfo['img_path']))[0])
    for key, short in (('ref_id', 'ref'), ('sent_id', 'sent')):
        if metainfo.get(key) is not None:
            parts.append(f'{short}{metainfo[key]}')
    return '_'.join(parts)


def image_for_mask(inputs, data_sample) -> 'np.ndarray':
    """The RGB image the sample's ground truth is aligned with.

    Args:
        inputs (Tensor): (3, H, W) BGR pipeline output.
        data_sample (SegDataSample): With ``gt_sem_seg`` (1, h, w).
    """
    import mmcv
    import numpy as np

    gt_shape = tuple(data_sample.gt_sem_seg.shape)
    network_img = inputs.permute(1, 2, 0).numpy()[..., ::-1].astype(np.uint8)
    if gt_shape == network_img.shape[:2]:
        return np.ascontiguousarray(network_img)
    img_path = data_sample.metainfo.get('img_path')
    if img_path is not None:
        original = mmcv.imread(img_path, channel_order='rgb')
        if original is not None and original.shape[:2] == gt_shape:
            return original
    raise ValueError(
        f'the mask of {img_path} is {gt_shape}, neither the pipeline image '
        f'{network_img.shape[:2]} nor the original image size'
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar

    from refseg.registry import DATASETS
    from refseg.utils.config import load_config
    from refseg.visualization import RefSegLocalVisualizer

    cfg = load_config(args.config, args.cfg_options)
    loader_key = f'{args.split}_dataloader'
    if not cfg.get(loader_key):
        print(f'error: {args.config} has no {loader_key}', file=sys.stderr)
        return 2
    init_default_scope(cfg.get('default_scope', 'refseg'))
    dataset = DATASETS.build(cfg[loader_key].dataset)
    visualizer = RefSegLocalVisualizer(name='browse_dataset')

    count = len(dataset) if args.max_samples <= 0 else min(args.max_samples, len(dataset))
    progress = ProgressBar(count) if sys.stdout.isatty() else None
    for index in range(count):
        item = dataset[index]
        sample = item['data_samples']
        if 'gt_sem_seg' not in sample:
            raise KeyError(
                f'sample {index} ({sample.metainfo.get("img_path")}) has no '
                'gt_sem_seg: does the pipeline load the mask (LoadRefMask)?'
            )
        name = sample_name(args.split, index, sample.metainfo)
        out_file = osp.join(args.output_dir, f'{name}.png') if args.output_dir else None
        visualizer.add_datasample(
            name,
            image_for_mask(item['inputs'], sample),
            sample,
            draw_pred=False,
            show=not args.not_show,
            wait_time=args.show_interval,
            out_file=out_file,
        )
        if progress is not None:
            progress.update()
    if progress is not None:
        print()
    return 0


if __name__ == '__main__':
    sys.exit(main())
