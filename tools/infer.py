"""Segment what referring expressions name in one image or a folder of images.

    python tools/infer.py IMAGE_OR_FOLDER --text "the dog on the left" [--text "..."] \
        --checkpoint CHECKPOINT [--config CONFIG] --out-dir OUT [--device cpu] \
        [--threshold T] [--batch-size N]

A thin command line over :class:`refseg.apis.RefSegInferencer`. ``--checkpoint`` alone
works for checkpoints that store their config (training checkpoints and those from
``tools/model_converters/publish_model.py``) and for exported ``.onnx`` files; give
``--config`` for a bare state dict. For every image and expression i it writes, into OUT:

* ``{stem}_{i:02d}_{slug}.png``: the drawing (mask outlined over the image, legend and
  expression in a strip below; slug = the expression's letters and digits);
* ``{stem}_{i:02d}_{slug}_mask.png``: the binary mask, 0 or 255, at the image's size;

and one ``summary.json`` listing per image its size, expressions, scores, mask areas and
file names, plus ``failures``: the images of the folder that could not be read, with the
reason. For a model with a no-target head (gRES) each expression's entry also holds
``no_target_score`` (the head's probability that the expression names nothing) and
``no_target`` (its decision; the mask is then empty), and one line per expression is
printed, e.g. ``photo.jpg: "the cat": no target (score 0.93)``. A failing image does
not stop the others. The exit status is 0 when every image was segmented, 1 when some
failed (they are also printed to stderr) and 2 for bad arguments.
"""

import argparse
import json
import os
import os.path as osp
import sys
import warnings
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Referring segmentation of your own images',
        epilog='Exit status: 0 all images done, 1 some images failed (listed in '
        'summary.json and on stderr), 2 bad arguments.',
    )
    parser.add_argument('input', help='an image file, or a folder of images (not recursive)')
    parser.add_argument(
        '--text', action='append', required=True, help='a referring expression; repeat for several'
    )
    parser.add_argument(
        '--checkpoint',
        required=True,
        help='refseg checkpoint (.pth file or http(s):// URL, read weights-only; its '
        'stored config is used when --config is not given) or exported model (.onnx)',
    )
    parser.add_argument(
        '--config', help='model config file (default: the one stored in the checkpoint)'
    )
    parser.add_argument('--out-dir', required=True, help='folder for the outputs')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--threshold',
        type=float,
        default=None,
        help="mask probability threshold (default: the model's)",
    )
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per forward pass (default: 1)'
    )
    args = parser.parse_args(argv)
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        parser.error(f'--threshold must be in [0, 1], got {args.threshold}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def no_target_line(source, pred: dict) -> str:
    """``photo.jpg: "the cat": no target (score 0.93)``, or the mask's share."""
    head = f'{source}: "{pred["text"]}": '
    if pred['no_target']:
        return head + f'no target (score {pred["no_target_score"]:.2f})'
    return head + (
        f'target, mask {100 * pred["mask"].mean():.2f} % of the image '
        f'(no-target score {pred["no_target_score"]:.2f})'
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    # Imported here so that --help answers without loading torch.
    from refseg.apis import RefSegInferencer
    from refseg.apis.inference import check_expressions

    if not osp.exists(args.input):
        print(f'error: input not found: {args.input}', file=sys.stderr)
        return 2
    try:
        texts = check_expressions(args.text)
    except ValueError as err:
        print(f'error: --text: {err}', file=sys.stderr)
        return 2

    if args.config is not None:
        inferencer = RefSegInferencer(args.config, weights=args.checkpoint, device=args.device)
    else:
        inferencer = RefSegInferencer(args.checkpoint, device=args.device)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', message='.* images skipped')
            result = inferencer(
                args.input,
                texts,
                out_dir=args.out_dir,
                threshold=args.threshold,
                batch_size=args.batch_size,
            )
    except FileNotFoundError as err:  # e.g. a folder without image files
        print(f'error: {err}', file=sys.stderr)
        return 2

    # The inferencer's summary.json, with the command's own arguments added.
    path = osp.join(args.out_dir, 'summary.json')
    with open(path, encoding='utf-8') as f:
        summary = json.load(f)
    summary = dict(config=args.config, checkpoint=args.checkpoint, expressions=texts, **summary)
    with open(f'{path}.tmp', 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
    os.replace(f'{path}.tmp', path)
    print(
        f'{len(result["predictions"])} image(s) segmented for {len(texts)} '
        f'expression(s); outputs and summary.json in {args.out_dir}'
    )
    for source, preds in zip(result['inputs'], result['predictions']):
        for pred in preds:
            if 'no_target_score' in pred:
                print(no_target_line(source, pred))
    for failure in result['failures']:
        print(f'failed: {failure["input"]}: {failure["error"]}', file=sys.stderr)
    return 1 if result['failures'] else 0


if __name__ == '__main__':
    sys.exit(main())
