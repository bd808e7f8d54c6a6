"""The fastest any fp32 implementation could run a model on this CPU: FLOPs / peak rate.

    python tools/analysis_tools/cpu_floor.py configs/cris/cris_r50_refcoco.py --threads 1 \\
        [--num-texts 5] [--train-batch 2] \\
        [--official forward=1659 predict=1625 texts=8057 train=17976] [--out floor.json]

FLOPs are counted with ``torch.utils.flop_counter`` (a multiply-add is 2 FLOPs; matrix
products and convolutions only, so every floor below is a lower bound) on random weights:

* ``forward``: ``model.forward_tokens`` at batch 1 (``predict`` adds only cheap pre- and
  post-processing, so it shares this floor);
* ``texts``: K expressions on one image with the image encoded once: the text-independent
  part (the backbone, plus ``neck.project_image`` where the neck has one) once, the rest K
  times, which is what the encode-once paths of ``inference_refseg`` and the split ONNX
  graphs compute;
* ``train``: forward, loss and backward of ``model.loss`` at ``--train-batch``.

The peak rate is the best of an fp32 matrix product (2048 x 2048) and a 3 x 3 convolution of
the sizes that dominate CRIS (256 channels at 52 x 52), timed on ``--threads`` threads. The
floor of a work is its FLOPs divided by that rate. Given the official code's times for the
same works (ms, as ``benchmark_vs_official.py`` prints them), the tool prints the largest
official / refseg ratio that an fp32 implementation at 100 % of the peak rate could reach:
where it is below a target, no exact fp32 change can meet that target on this CPU.
"""

import argparse
import json
import os.path as osp
import sys
import time
from typing import Callable, Dict, Optional, Sequence

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

WORKS = ('forward', 'texts', 'train')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--input-size', type=int, default=None, help='default: img_size or 416')
    parser.add_argument('--num-texts', type=int, default=5, help='K of the texts work')
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--official',
        nargs='+',
        action='extend',
        default=[],
        metavar='WORK=MS',
        help=f"the official code's times, for the largest reachable ratio; WORK in {WORKS} "
        '(predict counts as forward)',
    )
    parser.add_argument('--out', help='JSON file for the figures')
    return parser.parse_args(argv)


def parse_official(items: Sequence[str]) -> Dict[str, float]:
    official = {}
    for item in items:
        work, sep, value = item.partition('=')
        work = 'forward' if work == 'predict' else work
        if not sep or work not in WORKS:
            raise ValueError(f'--official {item!r}: expected WORK=MS with WORK in {WORKS}')
        try:
            official[work] = float(value)
        except ValueError:
            raise ValueError(f'--official {item!r}: {value!r} is not a time in ms') from None
    return official


def count_flops(fn: Callable[[], object]) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def peak_gflops(repeats: int = 5) -> Dict[str, float]:
    """Best-of-``repeats`` fp32 rates (GFLOP/s) of a matrix product and a 3x3 convolution."""
    import torch
    import torch.nn.functional as F

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x, w = torch.randn(1, 256, 52, 52), torch.randn(256, 256, 3, 3)
    kernels = {
        'sgemm_2048': (lambda: a @ b, 2 * 2048**3),
        'conv3x3_256x52x52': (lambda: F.conv2d(x, w, padding=1), 2 * 52 * 52 * 256 * 256 * 9),
    }
    rates = {}
    with torch.inference_mode():
        for name, (fn, flops) in kernels.items():
            fn()
            best = float('inf')
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - start)
            rates[name] = flops / best / 1e9
    return rates


def model_flops(model, input_size: int, num_texts: int, train_batch: int) -> Dict[str, float]:
    """GFLOP of each work (see the module docstring)."""
    import torch
    from benchmark_train import make_train_batch

    from refseg.models.utils.tokenizer import tokenize_expressions

    context = model.text_encoder.context_length
    image = torch.randn(1, 3, input_size, input_size)
    tokens = tokenize_expressions(['the man in the red shirt on the left'], context)

    def image_part():
        feats = model.backbone(image)
        if hasattr(model.neck, 'project_image'):
            model.neck.project_image(feats)

    model.eval()
    with torch.inference_mode():
        forward = count_flops(lambda: model.forward_tokens(image, tokens))
        shared = count_flops(image_part)
    batch = model.data_preprocessor(make_train_batch(train_batch, input_size, seed=0), True)
    model.train()

    def train_step():
        losses = model.loss(batch['inputs'], batch['data_samples'])
        sum(v for k, v in losses.items() if 'loss' in k).backward()

    train = count_flops(train_step)
    model.zero_grad(set_to_none=True)
    model.eval()
    texts = shared + num_texts * (forward - shared)
    return {
        'forward': forward / 1e9,
        'image_part': shared / 1e9,
        'texts': texts / 1e9,
        'train': train / 1e9,
    }


def floors(gflop: Dict[str, float], peak: float, official: Dict[str, float]) -> Dict[str, dict]:
    """Per work: GFLOP, the floor in ms at ``peak`` GFLOP/s and, where the official time is
    given, the largest official / refseg ratio (official ms over the floor)."""
    rows = {}
    for work in WORKS:
        floor_ms = gflop[work] / peak * 1000
        row = dict(gflop=gflop[work], floor_ms=floor_ms)
        if work in official:
            row.update(official_ms=official[work], max_ratio=official[work] / floor_ms)
        rows[work] = row
    return rows


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    official = parse_official(args.official)

    import torch
    from _bench_common import build_model

    torch.set_num_threads(args.threads)
    model, cfg = build_model(args.config, 'cpu')
    size = args.input_size or cfg.get('img_size', 416)
    gflop = model_flops(model, size, args.num_texts, args.train_batch)
    rates = peak_gflops()
    peak = max(rates.values())
    rows = floors(gflop, peak, official)
    report = dict(
        config=args.config,
        input_size=size,
        threads=args.threads,
        num_texts=args.num_texts,
        train_batch=args.train_batch,
        rates_gflops=rates,
        peak_gflops=peak,
        image_part_gflop=gflop['image_part'],
        works=rows,
    )
    print(
        f'{args.config} at {size}, {args.threads} thread(s): peak fp32 {peak:.1f} GFLOP/s '
        f'({", ".join(f"{k} {v:.1f}" for k, v in rates.items())}); text-independent part '
        f'{gflop["image_part"]:.2f} GFLOP'
    )
    print('| work | GFLOP | floor (ms) | official (ms) | largest official / refseg |')
    print('|---|---|---|---|---|')
    names = {
        'forward': 'forward, batch 1',
        'texts': f'{args.num_texts} expressions, one image',
        'train': f'training step, batch {args.train_batch}',
    }
    for work, row in rows.items():
        name = names[work]
        off = f'{row["official_ms"]:.0f}' if 'official_ms' in row else '-'
        ratio = f'{row["max_ratio"]:.2f}x' if 'max_ratio' in row else '-'
        print(f'| {name} | {row["gflop"]:.1f} | {row["floor_ms"]:.0f} | {off} | {ratio} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == '__main__':
    main()
