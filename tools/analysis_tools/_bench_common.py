"""Shared helpers of the benchmark tools: build a model with random weights and make a
batch of synthetic referring inputs of a given size."""

from typing import TYPE_CHECKING, List, Tuple

if TYPE_CHECKING:
    import torch


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
