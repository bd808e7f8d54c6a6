"""Convert an official CRIS checkpoint (DerrickWang005/CRIS.pytorch) to refseg.

Usage::

    python tools/model_converters/cris_official_to_refseg.py \
        exp/refcoco/CRIS_R50/best_model.pth pretrain/cris_r50_refcoco.pth

The source may be a training checkpoint (``{'epoch', 'state_dict', 'optimizer',
...}``; only ``state_dict`` is kept) or a bare state dict. The result is
``{'state_dict': ...}`` for ``load_from`` / ``tools/test.py``. CLIP's unused
``logit_scale`` is dropped; everything else maps one to one (see
``refseg.models.utils.cris_checkpoint``).
"""

import argparse
import os.path as osp
import pickle
from typing import TYPE_CHECKING, Dict, Optional, Sequence

if TYPE_CHECKING:
    import torch


def load_official_state_dict(path: str) -> Dict[str, 'torch.Tensor']:
    """Read a CRIS checkpoint with ``weights_only=True`` and return its state dict.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file cannot be read safely or holds no state dict.
    """
    import torch

    if not osp.isfile(path):
        raise FileNotFoundError(f'CRIS checkpoint not found: {path}')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as error:
        raise ValueError(
            f'{path} could not be read with torch.load(weights_only=True): it holds '
            'objects other than tensors and plain containers. If you trust the file, '
            're-save only its weights, e.g. torch.save(torch.load(path, '
            "weights_only=False)['state_dict'], 'weights.pth'), and convert that."
        ) from error
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict) or not all(
        isinstance(value, torch.Tensor) for value in checkpoint.values()
    ):
        raise ValueError(
            f'{path} holds neither a state dict nor a checkpoint with a '
            "'state_dict' entry of tensors"
        )
    return checkpoint


def convert(src: str, dst: str) -> Dict[str, 'torch.Tensor']:
    """Convert ``src`` (official layout) and save ``{'state_dict': ...}`` to ``dst``."""
    import torch

    from refseg.models.utils.cris_checkpoint import cris_official_to_refseg

    converted = cris_official_to_refseg(load_official_state_dict(src))
    torch.save({'state_dict': converted}, dst)
    return converted


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Convert an official CRIS checkpoint to refseg key names.'
    )
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output path of the refseg checkpoint')
    args = parser.parse_args(argv)
    converted = convert(args.src, args.dst)
    print(f'wrote {len(converted)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
