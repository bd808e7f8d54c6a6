"""Shared helpers of the benchmark tools: build a model with random weights and make a
batch of synthetic referring inputs of a given size."""

import argparse
from typing import TYPE_CHECKING, List, Tuple

if TYPE_CHECKING:
    import torch


def add_run_args(parser: argparse.ArgumentParser, warmup: int) -> None:
    """The options every timing tool takes: input size, iterations, device, threads."""
    parser.add_argument(
        '--input-size',
        type=int,
        default=None,
        help="square input side (default: the config's img_size or 416)",
    )
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=warmup)
    parser.add_argument(
        '--device', default=None, help='cpu, cuda or cuda:N (default: cuda when a GPU is available)'
    )
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')


def setup_run(args: argparse.Namespace) -> None:
    """Resolve ``args.device`` (cuda when available), refuse a missing GPU, set the threads."""
    import torch

    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    check_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)


def build_model(config: str, device: str):
    """The model with random weights (no CLIP file needed) and its config."""
    from refseg.apis import init_model

    model = init_model(config, checkpoint=None, device=device)
    return model, model.cfg


def make_batch(
    batch_size: int,
    input_size: int,
    device: str,
    text: str = 'the man in the red shirt on the left',
) -> Tuple['torch.Tensor', List]:
    """Normalised random images and data samples whose original size is the input size
    (so post-processing is the identity warp)."""
    import torch
    from mmseg.structures import SegDataSample

    from refseg.structures import letterbox_matrix

    inputs = torch.randn(batch_size, 3, input_size, input_size, device=device)
    matrix = letterbox_matrix(input_size, input_size, input_size)
    samples = []
    for i in range(batch_size):
        sample = SegDataSample()
        sample.set_metainfo(
            dict(
                text=text,
                ori_shape=(input_size, input_size),
                img_shape=(input_size, input_size),
                pad_shape=(input_size, input_size),
                letterbox_matrix=matrix,
                ref_id=i,
                sent_id=i,
            )
        )
        samples.append(sample)
    return inputs, samples


def train_samples(masks: 'torch.Tensor', texts: List[str]) -> List:
    """Training data samples: a float (1, H, W) target mask and an expression each, with
    the image, padded and original shapes all (H, W) (no letterbox)."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    samples = []
    for mask, text in zip(masks, texts):
        shape = tuple(mask.shape[-2:])
        sample = SegDataSample(gt_sem_seg=PixelData(data=mask))
        sample.set_metainfo(dict(text=text, img_shape=shape, pad_shape=shape, ori_shape=shape))
        samples.append(sample)
    return samples


def reset_peak_rss() -> None:
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def peak_rss_mib() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def sync(device: str) -> None:
    import torch

    if device.startswith('cuda'):
        torch.cuda.synchronize()


def check_device(device: str) -> None:
    """Refuse a CUDA device that this torch build or machine does not have.

    Raises:
        SystemExit: With a message naming the device and what is available.
    """
    import torch

    if not device.startswith('cuda') or torch.cuda.is_available():
        return
    why = (
        'this torch build has no CUDA support'
        if torch.version.cuda is None
        else 'no GPU is visible (check CUDA_VISIBLE_DEVICES and the driver)'
    )
    raise SystemExit(
        f'--device {device}: no GPU is available ({why}; torch '
        f'{torch.__version__}). Benchmark on the CPU with --device cpu.'
    )
