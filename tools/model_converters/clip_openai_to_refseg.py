"""Convert OpenAI CLIP weights to a refseg state dict.

Usage::

    python tools/model_converters/clip_openai_to_refseg.py \
        pretrain/RN50.pt pretrain/clip_rn50_refseg.pth \
        [--image-size N] [--verbose]

The source is OpenAI's TorchScript archive (``RN50.pt``, ``ViT-B-16.pt``, ...
as downloaded by the ``clip`` package), or a plain state dict /
``.safetensors`` file with the same keys (e.g. from OpenCLIP). The output
holds the image tower under ``backbone.`` and the text tower under
``text_encoder.``; the script prints the matching ``CLIPResNet`` /
``CLIPVisionTransformer`` and ``CLIPTextTransformer`` configs.
``logit_scale`` is dropped.
"""

import os.path as osp
from typing import Optional, Sequence

from _common import main as run_converter


def check_source(src: str) -> None:
    if osp.isdir(src):
        raise SystemExit(
            f'{src} is a folder; for a Hugging Face model use '
            'tools/model_converters/clip_hf_to_refseg.py'
        )
    if not osp.isfile(src):
        raise SystemExit(f'no such file: {src}')


def main(argv: Optional[Sequence[str]] = None):
    return run_converter(
        'Convert OpenAI CLIP weights (TorchScript archive or state dict) to refseg keys.',
        'OpenAI CLIP file (.pt TorchScript archive, .pt/.pth state dict or .safetensors)',
        check_source,
        argv,
    )


if __name__ == '__main__':
    main()
