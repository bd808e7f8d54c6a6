"""Inference latency, throughput and peak memory of a refseg model with random weights.

Example::

    python tools/analysis_tools/benchmark.py configs/cris/cris_r50_refcoco.py \
        --batch-sizes 1 8 --input-size 416 --iters 20

Times the whole ``model.predict`` (tokenization, encoders, head, post-processing) under
``torch.inference_mode``. On CPU the peak memory is the process's peak resident set size
during the timed loop (``VmHWM`` after resetting it); on CUDA it is
``torch.cuda.max_memory_allocated`` above the weights. Arguments are parsed before torch
is imported, so ``--help`` is quick.
"""

import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _bench_common import add_run_args  # noqa: E402  (imports nothing heavy)


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark refseg inference')
    parser.add_argument('config')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1])
    add_run_args(parser, warmup=3)
    parser.add_argument('--amp', action='store_true', help='autocast (bf16 on CPU, fp16 on CUDA)')
    parser.add_argument('--out', help='append the results as JSON lines to this file')
    return parser.parse_args()


def benchmark(model, batch_size, input_size, device, iters, warmup, amp):
    import torch
    from _bench_common import make_batch, peak_rss_mib, reset_peak_rss, sync

    inputs, samples = make_batch(batch_size, input_size, device)
    dtype = torch.float16 if device.startswith('cuda') else torch.bfloat16
    autocast = torch.autocast(device_type=device.split(':')[0], dtype=dtype, enabled=amp)
    with torch.inference_mode(), autocast:
        for _ in range(warmup):
            model.predict(inputs, [s.clone() for s in samples])
        sync(device)
        if device.startswith('cuda'):
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
        else:
            reset_peak_rss()
        times = []
        for _ in range(iters):
            batch_samples = [s.clone() for s in samples]
            sync(device)
            start = time.perf_counter()
            model.predict(inputs, batch_samples)
            sync(device)
            times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    if device.startswith('cuda'):
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
        peak_name = 'peak_activation_mib'
    else:
        peak = peak_rss_mib()
        peak_name = 'peak_rss_mib'
    return {
        'batch_size': batch_size,
        'input_size': input_size,
        'latency_ms_median': round(median * 1000, 2),
        'latency_ms_mean': round(sum(times) / len(times) * 1000, 2),
        'throughput_img_s': round(batch_size / median, 2),
        peak_name: round(peak, 1),
    }


def main():
    args = parse_args()

    import torch
    from _bench_common import build_model, setup_run

    setup_run(args)
    model, cfg = build_model(args.config, args.device)
    input_size = args.input_size or cfg.get('img_size', 416)
    n_params = sum(p.numel() for p in model.parameters())
    header = dict(
        config=args.config,
        device=args.device,
        threads=torch.get_num_threads(),
        amp=args.amp,
        params_m=round(n_params / 1e6, 2),
        torch=torch.__version__,
    )
    print(json.dumps(header))
    for batch_size in args.batch_sizes:
        result = dict(
            header,
            **benchmark(
                model, batch_size, input_size, args.device, args.iters, args.warmup, args.amp
            ),
        )
        print(json.dumps(result))
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'a') as f:
                f.write(json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
