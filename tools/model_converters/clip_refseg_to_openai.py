"""Export a CLIP pretrained with refseg (``CLIPPretrainer``) in OpenAI's state-dict layout.

Usage::

    python tools/model_converters/clip_refseg_to_openai.py \
        work_dirs/clip_rn-tiny_synthetic/iter_1500.pth pretrain/clip_rn-tiny_synthetic.pth

The input is a runner checkpoint (or a bare state dict) of a ``CLIPPretrainer``: image tower
under ``visual.``, text tower under ``text_encoder.``, ``logit_scale``. The output is a plain
dict of tensors with OpenAI's keys (``visual.*``, ``token_embedding.weight``,
``positional_embedding``, ``transformer.*``, ``ln_final.*``, ``text_projection``,
``logit_scale``), written atomically and readable with ``torch.load(weights_only=True)``. It
loads like OpenAI's own files, e.g. into CRIS or RISCLIP through
``init_cfg=dict(type='CLIPPretrained', checkpoint=DST)`` on each tower. BatchNorm running
statistics (ResNet) are kept: OpenAI's ResNet archives hold them too.
"""

from __future__ import annotations

import argparse
import io
from collections import OrderedDict
from typing import TYPE_CHECKING, Dict, Optional, Sequence

if TYPE_CHECKING:
    from torch import Tensor

TEXT_PREFIX = 'text_encoder.'


def refseg_to_openai(state_dict: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename a ``CLIPPretrainer`` state dict to OpenAI's layout.

    Raises:
        ValueError: if a key belongs to neither tower nor is ``logit_scale``, or a tower
            is missing.
    """
    # Imported here (not at module top) so that --help answers at once.
    from refseg.models.backbones.clip import infer_clip_config

    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        key = key[len('module.') :] if key.startswith('module.') else key
        if key.startswith('visual.') or key == 'logit_scale':
            converted[key] = value
        elif key.startswith(TEXT_PREFIX):
            converted[key[len(TEXT_PREFIX) :]] = value
        elif key.startswith('data_preprocessor.'):
            continue
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(
            'keys of no CLIP tower in the CLIPPretrainer checkpoint: ' + ', '.join(unknown[:10])
        )
    configs = infer_clip_config(converted)
    missing = [part for part, config in configs.items() if config is None]
    if missing:
        raise ValueError(
            f'the checkpoint has no {" and no ".join(missing)} tower; expected '
            'a CLIPPretrainer state dict (visual.*, text_encoder.*)'
        )
    return converted


def export(src: str, dst: str) -> 'OrderedDict[str, Tensor]':
    """Read the refseg checkpoint ``src`` (weights-only), write OpenAI keys to ``dst``."""
    import torch
    from torch import Tensor

    from refseg.utils.checkpoint import atomic_write, load_from_local_weights_only

    checkpoint = load_from_local_weights_only(src, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict) or not all(
        isinstance(value, Tensor) for value in state_dict.values()
    ):
        raise ValueError(
            f'{src} holds no state dict of tensors (a runner checkpoint or a '
            'torch.save-d dict was expected)'
        )
    converted = refseg_to_openai(state_dict)
    buffer = io.BytesIO()
    torch.save(dict(converted), buffer)
    atomic_write(dst, buffer.getvalue())
    return converted


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='CLIPPretrainer checkpoint (runner .pth or state dict)')
    parser.add_argument('dst', help='output file, OpenAI layout')
    args = parser.parse_args(argv)
    from refseg.models.backbones.clip import infer_clip_config

    converted = export(args.src, args.dst)
    configs = infer_clip_config(converted)
    print(f'wrote {len(converted)} tensors to {args.dst}')
    for part, config in configs.items():
        print(f'{part} tower: {config}')
    print(
        "(head counts are not stored in a state dict: the counts above follow OpenAI's "
        '64 channels per head; configure the towers with those of the pretraining config)'
    )


if __name__ == '__main__':
    main()
