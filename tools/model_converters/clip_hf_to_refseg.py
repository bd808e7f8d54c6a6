"""Convert a Hugging Face CLIP model to a refseg state dict.

Usage::

    python tools/model_converters/clip_hf_to_refseg.py \
        path/to/clip-vit-base-patch16 pretrain/clip_vit_b16_refseg.pth \
        [--image-size N] [--verbose]

The source is a ``CLIPModel`` folder written by ``save_pretrained``
(``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``), or a hub id
such as ``openai/clip-vit-base-patch16`` when the hub (or its local cache) is
reachable. q/k/v projections are merged into OpenAI's ``in_proj`` layout and
the projections transposed; the output holds the image tower under
``backbone.`` and the text tower under ``text_encoder.``, and the script prints
the matching refseg tower configs. If the model's ``hidden_act`` is not
``quick_gelu``, configure the towers with ``act_cfg=dict(type='GELU')``.
"""

import os.path as osp
from typing import Optional, Sequence

from _common import main as run_converter


def check_source(src: str) -> None:
    if osp.isfile(src):
        raise SystemExit(
            f'{src} is a file; give the Hugging Face model folder '
            '(with config.json), or use clip_openai_to_refseg.py '
            'for OpenAI files'
        )


def main(argv: Optional[Sequence[str]] = None):
    return run_converter(
        'Convert a Hugging Face CLIP model (folder or hub id) to refseg keys.',
        'Hugging Face CLIP folder (save_pretrained) or hub id',
        check_source,
        argv,
    )


if __name__ == '__main__':
    main()
