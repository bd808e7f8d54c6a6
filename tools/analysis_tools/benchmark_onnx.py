"""ONNX Runtime settings compared: graph optimisation levels, threads, int8 weights.

Example::

    python tools/deployment/export_onnx.py configs/cris/cris_r50_refcoco.py \
        --out work_dirs/cris_r50.onnx --quantize-int8
    python tools/analysis_tools/benchmark_onnx.py work_dirs/cris_r50.onnx \
        work_dirs/cris_r50.int8.onnx --optimization disable basic all --threads 1 2

Times the network (``forward_tokens``, batch 1) of every (file, optimisation level)
interleaved, ``--repeats`` rounds, median reported. Each file after the first is also
compared with the first on the same random inputs: max |probability difference| and the
IoU of their masks (``prob > threshold``), the accuracy cost of e.g. int8 weights.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time


def _import_heavy() -> None:
    # Imported once the arguments are parsed, so that --help answers at once; the
    # helpers below use them as module globals.
    global torch
    import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark ONNX Runtime settings')
    parser.add_argument('files', nargs='+', help='exported whole graphs (*.onnx)')
    parser.add_argument(
        '--optimization',
        nargs='+',
        default=['all'],
        choices=['disable', 'basic', 'extended', 'all'],
    )
    parser.add_argument('--threads', type=int, nargs='+', default=[1])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument(
        '--compare-batch', type=int, default=4, help='random inputs for the accuracy comparison'
    )
    parser.add_argument(
        '--num-texts',
        type=int,
        default=0,
        help='K > 0: time K expressions on one image with the split graphs '
        '(forward_shared_image) instead of the whole graph',
    )
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall')
    parser.add_argument('--out', help='append the results as JSON lines to this file')
    return parser.parse_args(argv)


def compare(reference, other, batch: int, seed: int = 0) -> dict:
    """Max abs probability difference and mask IoU of ``other`` against ``reference``."""
    from refseg.apis.onnx_model import ONNXSegmentor

    generator = torch.Generator().manual_seed(seed)
    texts = ['the man on the left', 'a red car', 'the smallest dog', 'left zebra']
    image = torch.randn(batch, 3, *reference.input_size, generator=generator)
    token_ids = reference.tokenize((texts * batch)[:batch])
    probs = [
        ONNXSegmentor.forward_tokens(m, image, token_ids).sigmoid() for m in (reference, other)
    ]
    masks = [p > reference.threshold for p in probs]
    union = (masks[0] | masks[1]).sum().item()
    iou = (masks[0] & masks[1]).sum().item() / union if union else 1.0
    return dict(
        max_abs_prob_diff=float((probs[0] - probs[1]).abs().max()),
        mask_iou=iou,
        fg_fraction_reference=float(masks[0].float().mean()),
    )


def main(argv=None):
    args = parse_args(argv)
    _import_heavy()
    from refseg.apis.onnx_model import ONNXSegmentor

    for threads in args.threads:
        torch.set_num_threads(threads)
        models = {
            (path, level): ONNXSegmentor(path, threads=threads, optimization=level)
            for path, level in itertools.product(args.files, args.optimization)
        }
        first = next(iter(models.values()))
        image = torch.randn(1, 3, *first.input_size)
        token_ids = first.tokenize(
            ['the man in the red shirt on the left'] * max(args.num_texts, 1)
        )
        run = (
            (lambda m: m.forward_shared_image(image, token_ids))
            if args.num_texts
            else (lambda m: m.forward_tokens(image, token_ids))
        )
        clock = time.process_time if args.clock == 'cpu' else time.perf_counter
        for model in models.values():  # warm-up: session creation and first run
            run(model)
        times = {key: [] for key in models}
        for _ in range(args.repeats):
            for key, model in models.items():
                start = clock()
                run(model)
                times[key].append(clock() - start)
        base = statistics.median(times[next(iter(models))])
        for (path, level), values in times.items():
            row = dict(
                file=path,
                optimization=level,
                threads=threads,
                clock=args.clock,
                num_texts=args.num_texts,
                ms=round(1000 * statistics.median(values), 1),
                all_ms=[round(1000 * v) for v in values],
                speedup_vs_first=round(base / statistics.median(values), 3),
                load_avg=os.getloadavg()[0],
            )
            if path != args.files[0] and not args.num_texts:
                row.update(
                    compare(
                        models[(args.files[0], level)], models[(path, level)], args.compare_batch
                    )
                )
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, 'a') as f:
                    f.write(json.dumps(row) + '\n')


if __name__ == '__main__':
    main()
