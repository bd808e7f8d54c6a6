"""Time refseg's CRIS against the official CRIS.pytorch code, side by side in one process.

Example::

    python tools/analysis_tools/benchmark_vs_official.py \
        --official-repo /path/to/CRIS.pytorch --threads 1 2 --repeats 3

Nothing is downloaded: ``--official-repo`` is a local checkout of
DerrickWang005/CRIS.pytorch (only its ``model/`` package and a ``config/*.yaml`` are used;
its loguru/lmdb/pyarrow dependencies are not needed). Both models get the same random
weights: refseg's are converted to the official layout
(``refseg.models.utils.cris_checkpoint.refseg_to_cris_official``) and loaded strictly.
The outputs are compared before anything is timed.

Works, each timed for every side in turn (interleaved, so that load from other processes
affects all sides alike), ``--repeats`` times, median reported:

* ``forward``: the network on one 416 x 416 image and one expression.
* ``predict``: one photo (a random 480 x 640 image) and one expression, end to end:
  letterbox, normalise, tokenize, network, sigmoid, upsample, warp back, threshold. The
  official side runs the steps of its ``engine.inference`` (cv2 letterbox and inverse
  warp); refseg runs ``init_model``'s pipeline, data preprocessor and ``predict``.
* ``texts``: the same photo with K expressions. Official: K predictions of the image
  (its test loop's per-sentence forward); refseg: the image encoded once.
* ``train``: one training step, batch 2 (forward, loss, backward, Adam step).

refseg sides: ``torch`` (the PyTorch model, eager) and ``onnx`` (the same weights exported
with ``tools/deployment/export_onnx.py --split`` and run on ONNX Runtime).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
import types
from typing import Callable, Dict, List

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

TEXTS = [
    'the man in the red shirt on the left',
    'a white car behind the tree',
    'the smallest dog',
    'left zebra',
    'the bowl of rice on the right table',
]


def _import_heavy() -> None:
    # Imported once the arguments are parsed, so that --help answers at once; the
    # helpers below use them as module globals.
    global cv2, np, torch, nn, CLIP_MEAN, CLIP_STD
    import cv2
    import numpy as np
    import torch
    import torch.nn as nn

    # CLIP's normalisation, which the official data loader applies.
    CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
    CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='refseg CRIS vs official CRIS.pytorch')
    parser.add_argument(
        '--official-repo', required=True, help='local checkout of DerrickWang005/CRIS.pytorch'
    )
    parser.add_argument(
        '--official-config',
        default='config/refcoco/cris_r50.yaml',
        help='official config, relative to the repo',
    )
    parser.add_argument(
        '--config', default='configs/cris/cris_r50_refcoco.py', help='the matching refseg config'
    )
    parser.add_argument(
        '--works',
        nargs='+',
        default=['forward', 'predict', 'texts', 'train'],
        choices=['forward', 'predict', 'texts', 'train'],
    )
    parser.add_argument(
        '--sides',
        nargs='+',
        default=['official', 'torch', 'onnx'],
        choices=['official', 'torch', 'onnx'],
    )
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--num-texts', type=int, default=5)
    parser.add_argument(
        '--onnx',
        help='where the refseg model is exported (whole and split '
        'graphs); reused if it exists and holds the same weights. Default: '
        'a temporary folder',
    )
    parser.add_argument(
        '--clock',
        choices=['wall', 'cpu'],
        default='wall',
        help="cpu: the process's CPU time, which other jobs on a loaded "
        'machine barely change (use with 1 thread)',
    )
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='append the results as JSON lines to this file')
    return parser.parse_args(argv)


# ----------------------------------------------------------------- official model
def import_official(repo: str) -> types.ModuleType:
    """The official ``model.segmenter`` module, without running ``model/__init__.py``
    (which needs loguru)."""
    package_dir = osp.join(repo, 'model')
    if not osp.isfile(osp.join(package_dir, 'segmenter.py')):
        raise FileNotFoundError(
            f'{repo} is not a CRIS.pytorch checkout: {package_dir}/segmenter.py is missing'
        )
    if 'model' in sys.modules and getattr(sys.modules['model'], '__path__', None) != [package_dir]:
        raise RuntimeError('another package named "model" is already imported')
    package = types.ModuleType('model')
    package.__path__ = [package_dir]
    sys.modules['model'] = package
    import importlib

    return importlib.import_module('model.segmenter')


def read_official_config(path: str) -> dict:
    import yaml

    with open(path) as f:
        raw = yaml.safe_load(f)
    cfg = {}
    for section in raw.values():
        cfg.update(section or {})
    return cfg


def build_official(
    segmenter: types.ModuleType, cfg: dict, state_dict: Dict[str, torch.Tensor]
) -> nn.Module:
    """Official CRIS with the given (official-layout) weights.

    ``CRIS.__init__`` reads CLIP from a TorchScript file; this builds the same modules,
    with CLIP's architecture read from ``state_dict`` by the official ``build_model``.
    """
    model = segmenter.CRIS.__new__(segmenter.CRIS)
    nn.Module.__init__(model)
    clip_weights = {
        k[len('backbone.') :]: v.clone() for k, v in state_dict.items() if k.startswith('backbone.')
    }
    clip_weights.setdefault('logit_scale', torch.tensor(np.log(1 / 0.07)))
    model.backbone = segmenter.build_model(clip_weights, cfg['word_len']).float()
    model.neck = segmenter.FPN(in_channels=cfg['fpn_in'], out_channels=cfg['fpn_out'])
    model.decoder = segmenter.TransformerDecoder(
        num_layers=cfg['num_layers'],
        d_model=cfg['vis_dim'],
        nhead=cfg['num_head'],
        dim_ffn=cfg['dim_ffn'],
        dropout=cfg['dropout'],
        return_intermediate=cfg['intermediate'],
    )
    model.proj = segmenter.Projector(cfg['word_dim'], cfg['vis_dim'] // 2, 3)
    state_dict = dict(state_dict)
    state_dict.setdefault('backbone.logit_scale', clip_weights['logit_scale'])
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


# ---------------------------------------------------------- official pipeline steps
def official_letterbox(image_bgr: np.ndarray, size: int):
    """The official test-time input: RGB, centred letterbox (cubic, CLIP-mean border),
    normalised; with the inverse matrix."""
    height, width = image_bgr.shape[:2]
    scale = min(size / height, size / width)
    new_h, new_w = height * scale, width * scale
    bias_x, bias_y = (size - new_w) / 2.0, (size - new_h) / 2.0
    src = np.array([[0, 0], [width, 0], [0, height]], np.float32)
    dst = np.array(
        [[bias_x, bias_y], [new_w + bias_x, bias_y], [bias_x, new_h + bias_y]], np.float32
    )
    matrix, inverse = cv2.getAffineTransform(src, dst), cv2.getAffineTransform(dst, src)
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    rgb = cv2.warpAffine(
        rgb, matrix, (size, size), flags=cv2.INTER_CUBIC, borderValue=(CLIP_MEAN * 255).tolist()
    )
    tensor = torch.from_numpy(rgb.transpose(2, 0, 1)).float().div_(255.0)
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(CLIP_STD, dtype=torch.float32)[:, None, None]
    return tensor.sub_(mean).div_(std)[None], inverse


def official_postprocess(
    logits: torch.Tensor, inverse: np.ndarray, ori_shape, size: int
) -> np.ndarray:
    """sigmoid, bicubic (align_corners) to the input size, inverse warp, > 0.35."""
    prob = torch.sigmoid(logits)
    prob = torch.nn.functional.interpolate(
        prob, size=(size, size), mode='bicubic', align_corners=True
    ).squeeze()
    height, width = ori_shape
    prob = cv2.warpAffine(
        prob.numpy(), inverse, (width, height), flags=cv2.INTER_CUBIC, borderValue=0.0
    )
    return prob > 0.35


# ------------------------------------------------------------------------ timing
def time_interleaved(
    works: Dict[str, Callable[[], object]],
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
) -> Dict[str, List[float]]:
    """Run each side once as warm-up, then ``repeats`` rounds of one call per side."""
    for fn in works.values():
        fn()
    times = {name: [] for name in works}
    for _ in range(repeats):
        for name, fn in works.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    return times


def main(argv=None):
    args = parse_args(argv)
    _import_heavy()
    from refseg.apis import init_model
    from refseg.models.utils.cris_checkpoint import refseg_to_cris_official
    from refseg.models.utils.tokenizer import tokenize_expressions

    torch.manual_seed(args.seed)
    model = init_model(args.config)
    size = model.data_preprocessor.size[0]
    official = None
    if 'official' in args.sides:
        segmenter = import_official(args.official_repo)
        cfg = read_official_config(osp.join(args.official_repo, args.official_config))
        official = build_official(segmenter, cfg, refseg_to_cris_official(model.state_dict()))
        if cfg['word_len'] != model.context_length or cfg['input_size'] != size:
            raise ValueError('official config and refseg config differ in word_len / input_size')
    served = None
    if 'onnx' in args.sides:
        onnx_path = args.onnx or osp.join(tempfile.mkdtemp(prefix='refseg_onnx_'), 'cris.onnx')
        if not osp.isfile(onnx_path):
            _export(model, onnx_path)
    rng = np.random.default_rng(args.seed)
    photo = rng.integers(0, 256, size=(480, 640, 3), dtype=np.uint8)
    texts = (TEXTS * args.num_texts)[: args.num_texts]
    image = torch.randn(1, 3, size, size)
    token_ids = tokenize_expressions(texts[:1], model.context_length)
    context = model.context_length

    # -------- equivalence before timing
    report = dict(machine=_machine(), config=args.config, results=[])
    with torch.no_grad():
        ours = model.forward_tokens(image, token_ids)
        if official is not None:
            theirs = official(image, token_ids)
            report['forward_max_abs_logit_diff'] = float((ours - theirs).abs().max())
            print(
                f'forward, official vs refseg: max |logit diff| = '
                f'{report["forward_max_abs_logit_diff"]:.2e}'
            )
    if 'onnx' in args.sides:
        from refseg.apis.onnx_model import ONNXSegmentor

        served = ONNXSegmentor(onnx_path)
        diff = float(
            (served.forward_tokens(image, token_ids).sigmoid() - ours.sigmoid()).abs().max()
        )
        shared = served.forward_shared_image(image, token_ids)
        diff = max(diff, float((shared.sigmoid() - ours.sigmoid()).abs().max()))
        report['onnx_max_abs_prob_diff'] = diff
        print(f'ONNX Runtime vs refseg torch: max |prob diff| = {diff:.2e}')
        if diff > 1e-4:
            raise ValueError(
                f'{onnx_path} does not hold this model (probabilities differ '
                f'by {diff:.2e}): delete it to re-export'
            )
    if official is not None and 'train' in args.works:
        report.update(_compare_losses(model, official, size, context))

    for threads in args.threads:
        torch.set_num_threads(threads)
        if 'onnx' in args.sides:
            from refseg.apis.onnx_model import ONNXSegmentor

            served = ONNXSegmentor(onnx_path, threads=threads)
        for work in args.works:
            fns = {}
            if work == 'forward':
                if official is not None:
                    fns['official'] = _no_grad(lambda: official(image, token_ids))
                if 'torch' in args.sides:
                    fns['torch'] = _no_grad(lambda: model.forward_tokens(image, token_ids))
                if served is not None:
                    fns['onnx'] = lambda: served.forward_tokens(image, token_ids)
            elif work in ('predict', 'texts'):
                batch = texts[:1] if work == 'predict' else texts
                if official is not None:
                    fns['official'] = _no_grad(
                        lambda b=batch: _official_predict(official, photo, b, size, context)
                    )
                if 'torch' in args.sides:
                    fns['torch'] = _no_grad(lambda b=batch: _refseg_predict(model, photo, b))
                if served is not None:
                    fns['onnx'] = lambda b=batch: _refseg_predict(served, photo, b)
            else:
                fns.update(_train_steps(model, official, args.sides, size, context))
            print(f'timing {work} with {threads} thread(s): {", ".join(fns)}', flush=True)
            times = time_interleaved(
                fns, args.repeats, time.process_time if args.clock == 'cpu' else time.perf_counter
            )
            row = dict(
                work=work,
                threads=threads,
                repeats=args.repeats,
                clock=args.clock,
                num_texts=len(texts) if work == 'texts' else 1,
                ms={k: 1000 * statistics.median(v) for k, v in times.items()},
                all_ms={k: [round(1000 * t) for t in v] for k, v in times.items()},
                load_avg=os.getloadavg(),
            )
            report['results'].append(row)
            print(_format_row(row), flush=True)
    print(_markdown(report))
    if args.out:
        with open(args.out, 'a') as f:
            f.write(json.dumps(report) + '\n')


def _no_grad(fn):
    def wrapped():
        with torch.no_grad():
            return fn()

    return wrapped


def _export(model, path: str) -> None:
    from refseg.apis.onnx_model import export_onnx

    print(f'exporting the refseg model to {path} (whole and split graphs)', flush=True)
    export_onnx(model, model.cfg, path, split=True)


def _official_predict(official, photo, texts, size, context_length):
    from refseg.models.utils.tokenizer import tokenize_expressions

    image, inverse = official_letterbox(photo, size)
    masks = []
    for text in texts:  # the official test loop: one forward per sentence
        token_ids = tokenize_expressions([text], context_length)
        masks.append(
            official_postprocess(official(image, token_ids), inverse, photo.shape[:2], size)
        )
    return masks


def _refseg_predict(model, photo, texts):
    """refseg's masks of ``texts`` on ``photo`` through the inference API's path (the image
    encoded once for all expressions), for a torch segmentor or a served ONNX one."""
    from refseg.apis.inference import predict_samples

    return [s.pred_sem_seg.data for s in predict_samples(model, photo, texts)]


def _train_batch(size: int, context_length: int, seed: int = 1):
    from refseg.models.utils.tokenizer import tokenize_expressions

    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(2, 3, size, size, generator=generator)
    masks = (torch.rand(2, 1, size, size, generator=generator) > 0.7).float()
    texts = TEXTS[:2]
    return images, masks, texts, tokenize_expressions(texts, context_length)


def _official_loss(official, images, masks, token_ids):
    return official(images, token_ids, masks)[2]


def _refseg_loss(model, images, masks, texts):
    from _bench_common import train_samples

    samples = train_samples(masks, texts)
    losses = model.loss(images, samples)
    return sum(v for k, v in losses.items() if 'loss' in k)


def _compare_losses(model, official, size, context_length) -> dict:
    """Training losses of both models on one batch, dropout off (its random masks
    differ between the implementations), batch norm in training mode (batch
    statistics)."""
    images, masks, texts, token_ids = _train_batch(size, context_length)
    losses = {}
    for name, net, fn in (
        ('official', official, lambda: _official_loss(official, images, masks, token_ids)),
        ('refseg', model, lambda: _refseg_loss(model, images, masks, texts)),
    ):
        saved = copy.deepcopy(net.state_dict())
        net.train()
        for module in net.modules():  # no dropout, attention dropout included
            if module is not net and not isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.training = False
        with torch.no_grad():
            losses[name] = float(fn())
        net.load_state_dict(saved)  # undo the running-statistics update
        net.eval()
    diff = abs(losses['official'] - losses['refseg'])
    print(
        f'training loss, dropout off: official {losses["official"]:.7f}, refseg '
        f'{losses["refseg"]:.7f}, |diff| = {diff:.1e}'
    )
    return dict(
        train_loss_official=losses['official'],
        train_loss_refseg=losses['refseg'],
        train_loss_abs_diff=diff,
    )


def _train_steps(model, official, sides, size, context_length):
    images, masks, texts, token_ids = _train_batch(size, context_length)
    fns = {}
    if official is not None:
        official_copy = copy.deepcopy(official).train()
        optim = torch.optim.Adam(official_copy.parameters(), lr=1e-6)

        def official_step():
            optim.zero_grad()
            _official_loss(official_copy, images, masks, token_ids).backward()
            optim.step()

        fns['official'] = official_step
    if 'torch' in sides:
        model_copy = copy.deepcopy(model).train()
        optim_ref = torch.optim.Adam(model_copy.parameters(), lr=1e-6)

        def refseg_step():
            optim_ref.zero_grad()
            _refseg_loss(model_copy, images, masks, texts).backward()
            optim_ref.step()

        fns['torch'] = refseg_step
    return fns


def _machine() -> str:
    cpu = 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f'{cpu}, {os.cpu_count()} logical cores, torch {torch.__version__}'


def _format_row(row) -> str:
    ms = row['ms']
    parts = [f'{k} {v:.0f} ms' for k, v in ms.items()]
    if 'official' in ms:
        parts += [
            f'official/{k} {ms["official"] / v:.2f}x' for k, v in ms.items() if k != 'official'
        ]
    return f'  {row["work"]} ({row["threads"]} thr): ' + ', '.join(parts)


def _markdown(report) -> str:
    lines = [
        '| work | threads | official (ms) | refseg torch (ms) | refseg onnx (ms) | '
        'official / torch | official / onnx | load avg |',
        '|' + '---|' * 8,
    ]
    for row in report['results']:
        ms = row['ms']

        def cell(k, ms=ms):
            return f'{ms[k]:.0f}' if k in ms else '-'

        def ratio(k, ms=ms):
            return f'{ms["official"] / ms[k]:.2f}x' if k in ms and 'official' in ms else '-'

        work = row['work'] + (
            f' (K={row["num_texts"]}, per image)' if row['work'] == 'texts' else ''
        )
        lines.append(
            f'| {work} | {row["threads"]} | {cell("official")} | {cell("torch")} '
            f'| {cell("onnx")} | {ratio("torch")} | {ratio("onnx")} | '
            f'{row["load_avg"][0]:.1f} |'
        )
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
