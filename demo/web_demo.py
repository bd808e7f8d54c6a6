"""Referring segmentation in the browser: upload an image, type expressions, see the masks.

    pip install -e '.[demo]'     # gradio (pulls no torch)
    python demo/web_demo.py                       # http://127.0.0.1:7860

Without arguments it serves the README's main job: ``configs/synthetic/
cris_rn-tiny-clip_synthetic.py`` with the last checkpoint of its work dir
(``work_dirs/cris_rn-tiny-clip_synthetic/last_checkpoint``, written by ``tools/train.py``). Any
other model: ``--config CONFIG --checkpoint CKPT``, or ``--checkpoint CKPT`` alone for a
checkpoint that stores its config (``.pth``) or an exported ``.onnx``. Everything runs
locally; nothing is downloaded. The bundled examples (``demo/demo.jpg``,
``demo/examples/``) are images of the synthetic world at 640 x 480 with expressions.
"""

import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np

DEMO_DIR = osp.dirname(osp.abspath(__file__))
REPO_DIR = osp.dirname(DEMO_DIR)
DEFAULT_CONFIG = osp.join(REPO_DIR, 'configs', 'synthetic', 'cris_rn-tiny-clip_synthetic.py')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='refseg web demo (Gradio)')
    parser.add_argument(
        '--config',
        default=None,
        help="model config (default: the main job's, "
        'configs/synthetic/cris_rn-tiny-clip_synthetic.py, unless --checkpoint '
        'stores its own)',
    )
    parser.add_argument(
        '--checkpoint',
        default=None,
        help='checkpoint (.pth) or exported model (.onnx); default: the '
        'last checkpoint of work_dirs/<config name>/',
    )
    parser.add_argument('--device', default='cpu', help='torch device (default cpu)')
    parser.add_argument('--host', default='127.0.0.1', help='address to serve on')
    parser.add_argument('--port', type=int, default=7860, help='port (default 7860)')
    return parser.parse_args(argv)


def last_checkpoint(config: str) -> str:
    """The checkpoint named in ``work_dirs/<config stem>/last_checkpoint``."""
    work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'no trained model: {marker} does not exist. Train the main job first '
            f'(python tools/train.py {osp.relpath(config, REPO_DIR)}) or pass '
            '--checkpoint'
        )
    with open(marker, encoding='utf-8') as f:
        return f.read().strip()


def build_inferencer(config: Optional[str], checkpoint: Optional[str], device: str):
    from refseg.apis import RefSegInferencer

    if checkpoint is None:
        config = config or DEFAULT_CONFIG
        checkpoint = last_checkpoint(config)
    if config is None:
        return RefSegInferencer(checkpoint, device=device, show_progress=False)
    return RefSegInferencer(config, weights=checkpoint, device=device, show_progress=False)


def parse_expressions(text: str) -> List[str]:
    """One expression per non-empty line."""
    expressions = [line.strip() for line in (text or '').splitlines() if line.strip()]
    if not expressions:
        raise ValueError('type at least one expression (one per line)')
    return expressions


def segment(inferencer, image_path: Optional[str], expressions: str) -> Tuple[list, list, str]:
    """Run the model on one image and the typed expressions.

    Returns:
        tuple: Overlays ``[(drawing, caption)]``, masks ``[(0/255 mask, text)]`` (one
        per expression, in order) and a Markdown report with the timing and, per
        expression, the score, the mask area and "no target" for an empty mask. A model
        with a no-target head (gRES) adds its no-target score; "no target (score s)"
        then marks the expressions it judges to name nothing (their masks are empty)
        and an empty mask it did not judge so reads "(empty)".
    """
    if image_path is None:
        raise ValueError('upload an image first')
    texts = parse_expressions(expressions)
    start = time.perf_counter()
    result = inferencer(image_path, texts, return_vis=True)
    seconds = time.perf_counter() - start
    preds, drawings = result['predictions'][0], result['visualization'][0]
    gres = any('no_target_score' in pred for pred in preds)
    overlays, masks = [], []
    if gres:
        rows = ['| expression | score | no-target score | mask area | |', '|---|---|---|---|---|']
    else:
        rows = ['| expression | score | mask area | |', '|---|---|---|---|']
    for pred, drawing in zip(preds, drawings):
        note = _note(pred)
        caption = f'{pred["text"]} (score {pred["score"]:.2f})' + (f' - {note}' if note else '')
        if pred.get('no_target'):
            caption = f'{pred["text"]} - {note}'
        overlays.append((drawing, caption))
        masks.append((pred['mask'].astype(np.uint8) * 255, pred['text']))
        cells = [pred['text'], f'{pred["score"]:.3f}']
        if gres:
            cells.append(f'{pred["no_target_score"]:.3f}')
        cells += [f'{100 * pred["mask"].mean():.2f} %', note]
        rows.append('| ' + ' | '.join(cells) + ' |')
    shared = not getattr(inferencer.model, 'image_encoder_reads_text', False)
    timing = (
        f'**{len(texts)} expressions in {1000 * seconds:.0f} ms** '
        f'({1000 * seconds / len(texts):.0f} ms each; '
        + (
            'the image was encoded once for all of them)'
            if shared
            else 'this model reads the text in its image encoder: one pass each)'
        )
    )
    return overlays, masks, timing + '\n\n' + '\n'.join(rows)


def _note(pred: dict) -> str:
    """The report's note: "no target (score s)" where a no-target head says so; for an
    empty mask, "no target" without such a head and "(empty)" where the head saw one."""
    if 'no_target' in pred:
        if pred['no_target']:
            return f'no target (score {pred["no_target_score"]:.2f})'
        return '' if pred['mask'].any() else '(empty)'
    return '' if pred['mask'].any() else 'no target'


def load_examples() -> List[list]:
    """``[[image path, expressions one per line], ...]`` from demo/examples."""
    with open(osp.join(DEMO_DIR, 'examples', 'expressions.json'), encoding='utf-8') as f:
        table = json.load(f)
    return [
        [osp.join(DEMO_DIR, name), '\n'.join(texts)]
        for name, texts in table.items()
        if not name.startswith('_')
    ]


def build_demo(inferencer, title: str = 'refseg: referring image segmentation'):
    import gradio as gr

    def run(image_path, expressions):
        try:
            return segment(inferencer, image_path, expressions)
        except ValueError as err:
            raise gr.Error(str(err))

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(
            f'## {title}\nUpload an image and type one expression per line; '
            'each gets its own mask. Model: '
            f'`{getattr(inferencer.cfg, "filename", None) or "?"}`'
        )
        with gr.Row():
            with gr.Column():
                image = gr.Image(type='filepath', label='image', elem_id='image', height=360)
                expressions = gr.Textbox(
                    label='expressions (one per line)', lines=4, elem_id='expressions'
                )
                button = gr.Button('Segment', variant='primary', elem_id='run')
            with gr.Column():
                overlays = gr.Gallery(
                    label='masks over the image',
                    columns=2,
                    format='png',
                    elem_id='overlays',
                    height=560,
                    object_fit='contain',
                )
        report = gr.Markdown(elem_id='report')
        masks = gr.Gallery(
            label='binary masks',
            columns=4,
            format='png',
            elem_id='masks',
            height=200,
            object_fit='contain',
        )
        gr.Examples(load_examples(), inputs=[image, expressions], elem_id='examples')
        button.click(run, inputs=[image, expressions], outputs=[overlays, masks, report])
    return demo


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')  # offline: no telemetry
    try:
        inferencer = build_inferencer(args.config, args.checkpoint, args.device)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    build_demo(inferencer).launch(server_name=args.host, server_port=args.port)
    return 0


if __name__ == '__main__':
    sys.exit(main())
