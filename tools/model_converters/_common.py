"""What the CLIP converters share: ``SRC DST [--image-size N] [--verbose]``.

The output is a plain dict of tensors (``torch.save``; loads with
``weights_only=True``) with a RefSegmentor's keys: the image tower under
``backbone.`` and the text tower under ``text_encoder.``. Load it with
``load_from`` or, tower by tower, with ``init_cfg=dict(type='Pretrained',
checkpoint=DST, prefix='backbone.')`` (``'text_encoder.'`` for the text).
The weights keep the checkpoint's dtype (fp16 for OpenAI's archives);
loading copies them into the fp32 parameters.
"""

import argparse
from typing import TYPE_CHECKING, Callable, Dict, Optional, Sequence

if TYPE_CHECKING:
    from torch import Tensor


def resize_visual_grid(state_dict: Dict[str, 'Tensor'], image_size: int) -> Dict[str, 'Tensor']:
    """Resize ``visual.positional_embedding`` (OpenAI layout) bicubically to
    the grid of ``image_size`` (ViT: size // patch; ResNet: size // 32)."""
    from refseg.models.backbones.clip import infer_clip_config, resize_pos_embed

    visual = infer_clip_config(state_dict)['visual']
    if visual is None:
        raise ValueError('--image-size was given but the checkpoint has no image tower')
    stride = visual.get('patch_size', 32)
    if image_size % stride:
        raise ValueError(
            f'--image-size {image_size} is not a multiple of the image tower stride {stride}'
        )
    key = (
        'visual.positional_embedding'
        if visual['type'] == 'CLIPVisionTransformer'
        else 'visual.attnpool.positional_embedding'
    )
    grid = image_size // stride
    resized = dict(state_dict)
    resized[key] = resize_pos_embed(state_dict[key], (grid, grid))
    return resized


def convert(
    src: str, dst: str, image_size: Optional[int] = None, verbose: bool = False
) -> Dict[str, 'Tensor']:
    """Read CLIP weights from ``src``, save refseg keys to ``dst``, print the
    tower configs that match them, and return the saved dict."""
    import torch

    from refseg.models.backbones.clip import (
        clip_to_refseg_state_dict,
        infer_clip_config,
        load_clip_state_dict,
    )

    state_dict = load_clip_state_dict(src)
    if image_size is not None:
        state_dict = resize_visual_grid(state_dict, image_size)
    configs = infer_clip_config(state_dict)
    converted = clip_to_refseg_state_dict(state_dict)
    torch.save(dict(converted), dst)
    if verbose:
        for key, value in converted.items():
            print(f'{key}: {tuple(value.shape)} {value.dtype}')
    print(f'wrote {len(converted)} tensors to {dst}')
    if image_size is not None and configs['visual'] is not None:
        configs['visual']['input_resolution'] = image_size
    print(f'backbone = {configs["visual"]}')
    print(f'text_encoder = {configs["text"]}')
    print('(head counts assume 64 channels per head, as in OpenAI CLIP)')
    return converted


def main(
    description: str,
    src_help: str,
    check_source: Callable[[str], None],
    argv: Optional[Sequence[str]] = None,
) -> Dict[str, 'Tensor']:
    """Parse ``argv``, validate the source with ``check_source`` and
    convert."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help='output state dict (.pth)')
    parser.add_argument(
        '--image-size',
        type=int,
        help='resize the image positional embedding to this input size '
        '(e.g. 448 for a ViT-B/16 trained at 448); by default it is kept and '
        'resized on the fly by the model',
    )
    parser.add_argument('--verbose', action='store_true', help='list every converted tensor')
    args = parser.parse_args(argv)
    check_source(args.src)
    return convert(args.src, args.dst, args.image_size, args.verbose)
