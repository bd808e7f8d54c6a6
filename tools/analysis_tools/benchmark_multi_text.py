"""Time K expressions on one image: the API's encode-once path vs K separate calls.

    python tools/analysis_tools/benchmark_multi_text.py configs/cris/cris_r50_refcoco.py \
        --num-texts 1 5 10 --repeats 3 [--image-size 480 640] [--device cpu] \
        [--threads 1] [--clock wall|cpu] [--out results.json]

The model has random weights (``init_model`` without a checkpoint; no CLIP file needed).
For each K it times, on the same random image:

* ``separate``: K calls ``inference_refseg(model, image, text_k)``, the image encoded each
  time;
* ``image batch``: one call that repeats the image K times in the batch (the path for
  segmentors whose image encoder reads the text, such as RISCLIP);
* ``encode once``: one call ``inference_refseg(model, image, texts)``: the backbone runs
  once and only the text-dependent parts (text encoder, neck, head) see K.

Each figure is the fastest of ``--repeats`` runs after one warm-up run (the minimum is the
least disturbed by other processes). On a CPU shared with other jobs, ``--threads 1
--clock cpu`` measures the process's CPU time, which their load barely changes. Prints a
Markdown table of milliseconds per expression and the speed-up of encode-once over
separate calls.
"""

import argparse
import json
import platform
import sys
import time
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

if TYPE_CHECKING:
    import numpy as np

EXPRESSIONS = [
    'the man in the red shirt on the left',
    'a white dog lying on the grass',
    'the car closest to the camera',
    'woman holding an umbrella',
    'the biggest elephant',
    'the bowl of rice in the middle',
    'right giraffe',
    'the person sitting on the bench',
    'the blue truck behind the bus',
    'the small cat under the table',
]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark multi-expression inference')
    parser.add_argument('config', help='model config (weights stay random)')
    parser.add_argument(
        '--num-texts',
        type=int,
        nargs='+',
        default=[1, 5, 10],
        help=f'values of K (at most {len(EXPRESSIONS)})',
    )
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=[480, 640],
        metavar=('H', 'W'),
        help='size of the random input image',
    )
    parser.add_argument('--repeats', type=int, default=3, help='timed runs per figure')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument(
        '--clock',
        choices=['wall', 'cpu'],
        default='wall',
        help='wall: elapsed time; cpu: CPU time of this process, which '
        'other jobs on a shared machine barely disturb (use with '
        '--threads 1, where it equals the wall time of an idle machine)',
    )
    parser.add_argument('--out', help='also write the results as JSON to this file')
    args = parser.parse_args(argv)
    if max(args.num_texts) > len(EXPRESSIONS) or min(args.num_texts) < 1:
        parser.error(f'--num-texts must be in 1..{len(EXPRESSIONS)}')
    if args.clock == 'cpu' and args.device != 'cpu':
        parser.error('--clock cpu measures CPU work: use it with --device cpu')
    return args


def fastest(
    run: Callable[[], object], repeats: int, device: str, clock: Callable[[], float]
) -> float:
    """Seconds of the fastest of ``repeats`` runs, after one warm-up run."""
    import torch

    run()
    times = []
    for _ in range(repeats):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = clock()
        run()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        times.append(clock() - start)
    return min(times)


def benchmark(
    model,
    image: 'np.ndarray',
    num_texts: Sequence[int],
    repeats: int,
    device: str,
    clock: Callable[[], float],
) -> List[Dict[str, float]]:
    import torch

    import refseg.apis.inference as api

    def image_batch(texts):
        # The API's path for segmentors whose image encoder reads the text, forced here.
        inputs, sample = api.prepare_inputs(model, image)
        samples = [sample.clone() for _ in texts]
        for text, copy in zip(texts, samples):
            copy.set_metainfo(dict(text=text))
        with torch.no_grad():
            model.predict(inputs.expand(len(texts), -1, -1, -1), samples)

    rows = []
    for k in num_texts:
        texts = EXPRESSIONS[:k]
        separate = fastest(
            lambda: [api.inference_refseg(model, image, t) for t in texts], repeats, device, clock
        )
        batched = fastest(lambda: image_batch(texts), repeats, device, clock)
        once = fastest(lambda: api.inference_refseg(model, image, texts), repeats, device, clock)
        rows.append(
            dict(
                num_texts=k,
                separate_ms=1000 * separate / k,
                image_batch_ms=1000 * batched / k,
                encode_once_ms=1000 * once / k,
                speedup=separate / once,
            )
        )
        print(f'K={k} done: {rows[-1]}', flush=True)
    return rows


def markdown_table(rows: List[Dict[str, float]]) -> str:
    lines = [
        '| K | separate calls (ms / expr.) | image batch (ms / expr.) | '
        'encode once (ms / expr.) | speed-up vs separate |',
        '|---|---|---|---|---|',
    ]
    for row in rows:
        lines.append(
            f'| {row["num_texts"]} | {row["separate_ms"]:.0f} | '
            f'{row["image_batch_ms"]:.0f} | {row["encode_once_ms"]:.0f} | '
            f'{row["speedup"]:.2f}x |'
        )
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    import numpy as np
    import torch

    from refseg.apis import init_model

    if args.threads:
        torch.set_num_threads(args.threads)

    model = init_model(args.config, device=args.device)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(*args.image_size, 3), dtype=np.uint8)
    with torch.inference_mode():
        clock = time.process_time if args.clock == 'cpu' else time.perf_counter
        rows = benchmark(model, image, args.num_texts, args.repeats, args.device, clock)
    machine = (
        f'{platform.processor() or platform.machine()}, '
        f'torch threads {torch.get_num_threads()}, device {args.device}, '
        f'torch {torch.__version__}, {args.clock} clock'
    )
    print(f'{args.config}, image {args.image_size[0]}x{args.image_size[1]}, {machine}')
    print(markdown_table(rows))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    image_size=args.image_size,
                    machine=machine,
                    clock=args.clock,
                    repeats=args.repeats,
                    results=rows,
                ),
                f,
                indent=2,
            )
    return 0


if __name__ == '__main__':
    sys.exit(main())
