"""Turn a training checkpoint into a release file: weights and meta only, hash in the name.

Usage::

    python tools/model_converters/publish_model.py \
        work_dirs/cris_r50_refcoco/best_mIoU_epoch_50.pth cris_r50_refcoco.pth
    # -> cris_r50_refcoco-1a2b3c4d.pth

Keeps ``state_dict`` and ``meta`` and drops the training state (``optimizer``,
``message_hub``, ``param_schedulers`` and any other key), then appends the first 8 hex
digits of the file's SHA-256 to the output name, as OpenMMLab model zoos do. The input is
read with ``torch.load(weights_only=True)`` (refseg's checkpoints are written to allow it),
and so is the output.
"""
import argparse
import hashlib
import io
from typing import Optional, Sequence

import torch

from refseg.utils.checkpoint import atomic_write, load_from_local_weights_only

KEPT_KEYS = ('state_dict', 'meta')


def publish(src: str, dst: str) -> str:
    """Write the stripped checkpoint and return its final, hash-suffixed path.

    Args:
        src (str): Training checkpoint, or a bare state dict.
        dst (str): Output path; ``-{sha256[:8]}`` is inserted before ``.pth``.

    Returns:
        str: The path written.
    """
    checkpoint = load_from_local_weights_only(src, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{src} holds a {type(checkpoint).__name__}, expected a '
                         'checkpoint dict')
    if 'state_dict' not in checkpoint:
        if not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            raise ValueError(f'{src} has no "state_dict" entry and is not a state dict '
                             f'itself (keys: {sorted(checkpoint)[:10]})')
        checkpoint = dict(state_dict=checkpoint)
    published = {key: checkpoint[key] for key in KEPT_KEYS if key in checkpoint}

    stem = dst[:-len('.pth')] if dst.endswith('.pth') else dst
    buffer = _serialise(published)
    final = f'{stem}-{hashlib.sha256(buffer).hexdigest()[:8]}.pth'
    atomic_write(final, buffer)  # never leaves a half-written release file
    return final


def _serialise(obj) -> bytes:
    stream = io.BytesIO()
    torch.save(obj, stream)
    return stream.getvalue()


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Strip a training checkpoint to weights + meta and add its hash to the '
        'file name.')
    parser.add_argument('src', help='training checkpoint (.pth)')
    parser.add_argument('dst', help='output path; "-<sha256[:8]>" is added before .pth')
    args = parser.parse_args(argv)
    final = publish(args.src, args.dst)
    print(f'wrote {final}')


if __name__ == '__main__':
    main()
