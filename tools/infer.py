"""Segment what referring expressions name in one image or a folder of images.

    python tools/infer.py IMAGE_OR_FOLDER --text "the dog on the left" [--text "..."] \
        --config CONFIG --checkpoint CHECKPOINT --out-dir OUT [--device cpu] [--threshold T]

For every image and expression i it writes, into OUT:

* ``{stem}_{i:02d}_{slug}.png``: the image with the mask blended in and the expression on
  it (slug = the expression's letters and digits, so names are unique and readable);
* ``{stem}_{i:02d}_{slug}_mask.png``: the binary mask, 0 or 255, at the image's size;

and one ``summary.json`` listing per image its size, expressions, mask areas and file
names, plus ``failures``: the images that could not be read or segmented, with the reason.
A failing image does not stop the others. The exit status is 0 when every image was
segmented, 1 when some failed (they are also printed to stderr) and 2 for bad arguments.
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
from typing import List, Optional, Sequence

import mmcv
import numpy as np
from mmengine.utils import ProgressBar

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Referring segmentation of your own images',
        epilog='Exit status: 0 all images done, 1 some images failed (listed in '
        'summary.json and on stderr), 2 bad arguments.')
    parser.add_argument('input',
                        help='an image file, or a folder of images (not recursive)')
    parser.add_argument('--text', action='append', required=True,
                        help='a referring expression; repeat for several')
    parser.add_argument('--config', required=True,
                        help='model config file, or an exported .onnx file (ONNX Runtime)')
    parser.add_argument('--checkpoint', help='refseg checkpoint file (not with .onnx)')
    parser.add_argument('--out-dir', required=True, help='folder for the outputs')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument('--threshold', type=float, default=None,
                        help="mask probability threshold (default: the model's)")
    args = parser.parse_args(argv)
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        parser.error(f'--threshold must be in [0, 1], got {args.threshold}')
    return args


def list_images(path: str) -> List[str]:
    """The image files of a folder (sorted), or ``[path]`` for a file."""
    if osp.isdir(path):
        return sorted(
            osp.join(path, name) for name in os.listdir(path)
            if name.lower().endswith(IMAGE_EXTENSIONS) and osp.isfile(osp.join(path, name)))
    return [path]


def slugify(text: str, max_len: int = 40) -> str:
    """File-name-safe short form of a text: ``'The dog, left!'`` -> ``'the-dog-left'``."""
    slug = re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')[:max_len].strip('-')
    return slug or 'text'


class UniqueStems:
    """File stems for images, made unique when two share one (``a.jpg`` and ``a.png``)."""

    def __init__(self) -> None:
        self._used = set()

    def __call__(self, path: str) -> str:
        base = osp.splitext(osp.basename(path))[0]
        stem, count = base, 1
        while stem in self._used:
            count += 1
            stem = f'{base}-{count}'
        self._used.add(stem)
        return stem


def segment_image(model, visualizer, path: str, stem: str, texts: List[str], out_dir: str,
                  threshold: Optional[float]) -> dict:
    """Segment one image for every expression and write its files.

    Returns:
        dict: The image's entry of the summary.
    """
    from refseg.apis import inference_refseg, load_image

    img_bgr, _ = load_image(path)
    preds = inference_refseg(model, img_bgr, texts, threshold=threshold)
    img_rgb = mmcv.bgr2rgb(img_bgr)
    entries = []
    for index, pred in enumerate(preds):
        name = f'{stem}_{index:02d}_{slugify(pred.text)}'
        overlay = visualizer.draw_expression(img_rgb, pred.mask, pred.text,
                                             visualizer.pred_color)
        _write(mmcv.rgb2bgr(overlay), osp.join(out_dir, f'{name}.png'))
        _write(pred.mask.astype(np.uint8) * 255, osp.join(out_dir, f'{name}_mask.png'))
        entries.append(dict(index=index, text=pred.text, mask_area=int(pred.mask.sum()),
                            mask_fraction=round(float(pred.mask.mean()), 6),
                            overlay=f'{name}.png', mask=f'{name}_mask.png'))
    return dict(image=path, height=int(img_bgr.shape[0]), width=int(img_bgr.shape[1]),
                threshold=preds[0].threshold, expressions=entries)


def _write(img: np.ndarray, path: str) -> None:
    if not mmcv.imwrite(img, path):
        raise OSError(f'could not write {path}')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    # Imported here so that --help answers without loading torch.
    from refseg.apis import init_model
    from refseg.apis.inference import check_expressions
    from refseg.visualization import RefSegLocalVisualizer

    if not osp.exists(args.input):
        print(f'error: input not found: {args.input}', file=sys.stderr)
        return 2
    if (args.checkpoint is None) != args.config.endswith('.onnx'):
        print('error: give --checkpoint with a config file, and none with an .onnx file '
              '(it holds the weights)', file=sys.stderr)
        return 2
    try:
        texts = check_expressions(args.text)
    except ValueError as err:
        print(f'error: --text: {err}', file=sys.stderr)
        return 2
    images = list_images(args.input)
    if not images:
        print(f'error: no image files ({", ".join(IMAGE_EXTENSIONS)}) in {args.input}',
              file=sys.stderr)
        return 2

    model = init_model(args.config, args.checkpoint, device=args.device)
    visualizer = RefSegLocalVisualizer(name='refseg_infer')
    os.makedirs(args.out_dir, exist_ok=True)
    unique_stem = UniqueStems()
    results, failures = [], []
    progress = ProgressBar(len(images)) if len(images) > 1 else None
    for path in images:
        try:
            results.append(segment_image(model, visualizer, path, unique_stem(path), texts,
                                         args.out_dir, args.threshold))
        except (OSError, ValueError, TypeError) as err:
            failures.append(dict(image=path, error=f'{type(err).__name__}: {err}'))
        if progress is not None:
            progress.update()

    summary = dict(config=args.config, checkpoint=args.checkpoint, expressions=texts,
                   results=results, failures=failures)
    with open(osp.join(args.out_dir, 'summary.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
    if progress is not None:
        print()
    print(f'{len(results)} image(s) segmented for {len(texts)} expression(s); outputs and '
          f'summary.json in {args.out_dir}')
    for failure in failures:
        print(f'failed: {failure["image"]}: {failure["error"]}', file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
