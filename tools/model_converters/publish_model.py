"""Turn a training checkpoint into a release file: weights and meta only, hash in the name.

Usage::

    python tools/model_converters/publish_model.py \
        work_dirs/cris_r50_refcoco/best_mIoU_epoch_50.pth cris_r50_refcoco.pth
    # -> cris_r50_refcoco-1a2b3c4d.pth

    # and record it in the model zoo metafile:
    python tools/model_converters/publish_model.py CKPT cris_r50_refcoco.pth \
        --metafile configs/cris/metafile.yaml --model cris_r50_refcoco \
        --base-url https://example.org/refseg/v0.1.0

Keeps ``state_dict`` and ``meta`` and drops the training state (``optimizer``,
``message_hub``, ``param_schedulers`` and any other key), records refseg's version in
``meta['refseg_version']``, then appends the first 8 hex digits of the file's SHA-256 to
the output name, as OpenMMLab model zoos do. The input is read with
``torch.load(weights_only=True)`` (refseg's checkpoints are written to allow it), and so is
the output. With ``--metafile``, the model's entry gets ``Weights`` (base URL + file name)
and ``Metadata.Checkpoint SHA256``.
"""

import argparse
import hashlib
from typing import Optional, Sequence

KEPT_KEYS = ('state_dict', 'meta')


def publish(src: str, dst: str) -> str:
    """Write the stripped checkpoint and return its final, hash-suffixed path.

    Args:
        src (str): Training checkpoint, or a bare state dict.
        dst (str): Output path; ``-{sha256[:8]}`` is inserted before ``.pth``.

    Returns:
        str: The path written.
    """
    import torch

    import refseg
    from refseg.utils.checkpoint import atomic_write, load_from_local_weights_only

    checkpoint = load_from_local_weights_only(src, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{src} holds a {type(checkpoint).__name__}, expected a checkpoint dict')
    if 'state_dict' not in checkpoint:
        if not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            raise ValueError(
                f'{src} has no "state_dict" entry and is not a state dict '
                f'itself (keys: {sorted(checkpoint)[:10]})'
            )
        checkpoint = dict(state_dict=checkpoint)
    published = {key: checkpoint[key] for key in KEPT_KEYS if key in checkpoint}
    published['meta'] = dict(published.get('meta') or {}, refseg_version=refseg.__version__)

    stem = dst[: -len('.pth')] if dst.endswith('.pth') else dst
    buffer = _serialise(published)
    final = f'{stem}-{hashlib.sha256(buffer).hexdigest()[:8]}.pth'
    atomic_write(final, buffer)  # never leaves a half-written release file
    return final


def record_in_metafile(metafile: str, model: str, checkpoint: str, base_url: str) -> None:
    """Fill in the published checkpoint's fields of ``model``'s metafile entry.

    Raises:
        KeyError: If the metafile has no model named ``model``.
    """
    import os.path as osp

    import yaml

    from refseg.utils.checkpoint import atomic_write

    with open(metafile) as f:
        meta = yaml.safe_load(f)
    entries = [entry for entry in meta.get('Models', []) if entry.get('Name') == model]
    if not entries:
        names = [entry.get('Name') for entry in meta.get('Models', [])]
        raise KeyError(f'{metafile} lists no model named {model!r} (it lists {names})')
    with open(checkpoint, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    entry = entries[0]
    entry['Weights'] = f'{base_url.rstrip("/")}/{osp.basename(checkpoint)}'
    entry.setdefault('Metadata', {})['Checkpoint SHA256'] = digest
    text = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(metafile, text.encode())


def _serialise(obj) -> bytes:
    import io

    import torch

    stream = io.BytesIO()
    torch.save(obj, stream)
    return stream.getvalue()


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Strip a training checkpoint to weights + meta and add its hash to the '
        'file name.'
    )
    parser.add_argument('src', help='training checkpoint (.pth)')
    parser.add_argument('dst', help='output path; "-<sha256[:8]>" is added before .pth')
    parser.add_argument('--metafile', help='model zoo metafile to record the checkpoint in')
    parser.add_argument('--model', help='Name of the metafile entry (default: DST stem)')
    parser.add_argument('--base-url', help='where the file will be downloadable from')
    args = parser.parse_args(argv)
    if args.metafile and not args.base_url:
        parser.error('--metafile needs --base-url')
    final = publish(args.src, args.dst)
    print(f'wrote {final}')
    if args.metafile:
        import os.path as osp

        model = args.model or osp.splitext(osp.basename(args.dst))[0]
        record_in_metafile(args.metafile, model, final, args.base_url)
        print(f'recorded {final} as {model} in {args.metafile}')


if __name__ == '__main__':
    main()
