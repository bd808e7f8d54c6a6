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
