"""Training throughput and peak memory of a refseg model with random weights.

Example::

    python tools/analysis_tools/benchmark_train.py configs/cris/cris_r50_refcoco.py \
        --batch-size 64 --device cuda --iters 20

Times what the runner does in one training iteration once a batch is loaded: the data
preprocessor (normalisation, padding, the copy to the device), forward, loss, backward and
the optimizer step of the config's optimizer wrapper (``model.train_step``), on random uint8
images, random masks and one expression per sample. Data loading is not included. The
config's wrapper decides the precision (CRIS's is ``AmpOptimWrapper``, fp16 with dynamic
loss scaling); ``--amp`` / ``--no-amp`` override it. Peak memory on CUDA is
``torch.cuda.max_memory_allocated`` over the timed loop (weights, gradients, optimizer state
and activations); on the CPU, the process's peak resident set size. Arguments are parsed
before torch is imported, so ``--help`` is quick.
"""

import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _bench_common import add_run_args  # noqa: E402  (imports nothing heavy)

TEXTS = (
    'the man in the red shirt on the left',
    'a dog',
    'second bus from the right, behind the taxi',
    'blue umbrella',
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a refseg training iteration')
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=8)
    add_run_args(parser, warmup=5)
    parser.add_argument(
        '--amp',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='fp16 AmpOptimWrapper (--amp) or fp32 OptimWrapper (--no-amp); default: the '
        "config's optim_wrapper",
    )
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='append the result as one JSON line to this file')
    return parser.parse_args(argv)


def optim_wrapper_cfg(cfg_wrapper: dict, amp) -> dict:
    """The config's optimizer wrapper, switched to fp16 AMP or plain fp32 on request."""
    wrapper = dict(cfg_wrapper)
    if amp is True and wrapper.get('type') != 'AmpOptimWrapper':
        wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
    elif amp is False and wrapper.get('type') == 'AmpOptimWrapper':
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            wrapper.pop(key, None)
        wrapper['type'] = 'OptimWrapper'
    return wrapper


def make_train_batch(batch_size: int, input_size: int, seed: int) -> dict:
    """A collated batch as the train dataloader yields it: uint8 (3, H, W) images and data
    samples holding a float (1, H, W) target mask and the expression."""
    import torch
    from _bench_common import train_samples

    generator = torch.Generator().manual_seed(seed)
    shape = (input_size, input_size)
    inputs, masks = [], []
    for _ in range(batch_size):
        inputs.append(torch.randint(0, 256, (3, *shape), generator=generator, dtype=torch.uint8))
        masks.append((torch.rand(1, *shape, generator=generator) > 0.7).float())
    texts = [TEXTS[i % len(TEXTS)] for i in range(batch_size)]
    return dict(inputs=inputs, data_samples=train_samples(masks, texts))


def benchmark(model, optim_wrapper, batch: dict, device: str, iters: int, warmup: int) -> dict:
    import torch
    from _bench_common import peak_rss_mib, reset_peak_rss, sync

    model.train()
    losses = []
    for _ in range(warmup):
        model.train_step(batch, optim_wrapper)
    sync(device)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    else:
        reset_peak_rss()
    times = []
    for _ in range(iters):
        sync(device)
        start = time.perf_counter()
        log_vars = model.train_step(batch, optim_wrapper)
        sync(device)
        times.append(time.perf_counter() - start)
        losses.append(log_vars['loss'].item())
    times.sort()
    median = times[len(times) // 2]
    if device.startswith('cuda'):
        peak_name, peak = 'peak_allocated_mib', torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_name, peak = 'peak_rss_mib', peak_rss_mib()
    batch_size = len(batch['inputs'])
    return {
        'iter_ms_median': round(median * 1000, 2),
        'iter_ms_mean': round(sum(times) / len(times) * 1000, 2),
        'throughput_img_s': round(batch_size / median, 2),
        peak_name: round(peak, 1),
        'loss_first': losses[0],
        'loss_last': losses[-1],
    }


def main(argv=None):
    args = parse_args(argv)

    import torch
    from _bench_common import build_model, setup_run
    from mmengine.optim import build_optim_wrapper

    setup_run(args)
    torch.manual_seed(args.seed)
    model, cfg = build_model(args.config, args.device)
    wrapper_cfg = optim_wrapper_cfg(cfg.optim_wrapper.to_dict(), args.amp)
    if wrapper_cfg['type'] == 'AmpOptimWrapper' and not args.device.startswith('cuda'):
        raise SystemExit(
            f'{args.config}: its optim_wrapper is AmpOptimWrapper (fp16), which needs a GPU; '
            f'pass --no-amp to time fp32 training on {args.device}.'
        )
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    input_size = args.input_size or cfg.get('img_size', 416)
    batch = make_train_batch(args.batch_size, input_size, args.seed)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    result = dict(
        config=args.config,
        device=args.device,
        device_name=torch.cuda.get_device_name(args.device)
        if args.device.startswith('cuda')
        else 'cpu',
        threads=torch.get_num_threads(),
        optim_wrapper=wrapper_cfg['type'],
        batch_size=args.batch_size,
        input_size=input_size,
        trainable_params_m=round(trainable / 1e6, 2),
        torch=torch.__version__,
        **benchmark(model, optim_wrapper, batch, args.device, args.iters, args.warmup),
    )
    print(json.dumps(result))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'a') as f:
            f.write(json.dumps(result) + '\n')
    return result


if __name__ == '__main__':
    main()
