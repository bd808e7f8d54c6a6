"""Train the tiny RISCLIP (two stages) and its naive baseline on the synthetic world, compare.

    python tools/analysis_tools/risclip_vs_naive.py [--seeds 0 1 2] [--stage1-iters 600]
        [--stage2-iters 400] [--naive-iters N] [--splits val testA testB] [--threads 1]
        [--prefix risclip_vit-tiny-clip_synthetic] [--work-dir work_dirs/risclip_vs_naive]
        [--cfg-options img_size=192 ...]

For each seed, one after the other in this process:

1. ``configs/synthetic/{prefix}_stage1.py`` (CFE + SKE + grounding),
2. ``configs/synthetic/{prefix}.py`` (decoder) from stage 1's last checkpoint,
3. ``configs/synthetic/{prefix}_naive.py`` (the frozen CLIP's own cosine map + the same
   decoder, no CFE/SKE), by default for as many iterations as both stages together,

then every checkpoint is scored on each split of ``--splits`` and, on the first split, with
every expression replaced by the empty string (``model.text_override=''``, the no-text
control). Prints a Markdown table of mIoU / oIoU / Prec@50, the mean and the spread
(population std) over the seeds, with trainable parameters and wall time.

The default prefix loads the tiny CLIP pretrained on the synthetic world
(``pretrain/clip_vit-tiny_synthetic.pth``, see ``configs/clip/clip_vit-tiny_synthetic.py``);
``--prefix risclip_tiny_synthetic`` runs the same comparison on a frozen RANDOM CLIP.
``--cfg-options`` applies to every config, in training and scoring, as ``tools/train.py``'s
does (``img_size=192`` re-derives the letterboxes and the preprocessor's size).
"""

from __future__ import annotations

import argparse
import os.path as osp
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs', 'synthetic')
METRICS = ('mIoU', 'oIoU', 'Prec@50')


def _import_heavy() -> None:
    # Imported once the arguments are parsed, so that --help answers at once; the
    # helpers below use them as module globals.
    global np, torch, Config, Runner, load_config
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner

    from refseg.utils.config import load_config


def shorten(cfg: Config, iters: int, work_dir: str, seed: int) -> Config:
    """Set the run length (warm-up kept, poly decay to ``iters``), work dir and seed."""
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    warmup, poly = cfg.param_scheduler
    warmup.end = min(warmup.end, max(iters // 10, 1))
    poly.update(begin=warmup.end, end=iters)
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = max(iters // 10, 1)
    return cfg


def train(
    config: str, iters: int, work_dir: str, seed: int, cfg_options: List[str], **overrides
) -> Dict:
    """Train one config; return its trainable params, time and last checkpoint."""
    cfg = load_config(osp.join(CONFIGS, config), cfg_options)
    cfg = shorten(cfg, iters, work_dir, seed)
    cfg.merge_from_dict(overrides)
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    return dict(
        config=config,
        trainable=sum(p.numel() for p in runner.model.parameters() if p.requires_grad),
        seconds=time.time() - start,
        checkpoint=osp.join(work_dir, f'iter_{iters}.pth'),
    )


def evaluate(
    config: str,
    checkpoint: str,
    split: str,
    work_dir: str,
    cfg_options: List[str],
    no_text: bool = False,
) -> Dict[str, float]:
    """Score ``checkpoint`` on ``split`` (optionally with empty expressions)."""
    cfg = load_config(osp.join(CONFIGS, config), cfg_options)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_dataloader.dataset.split = split
    cfg.test_evaluator = cfg.val_evaluator
    if no_text:
        cfg.model.text_override = ''
    metrics = Runner.from_cfg(cfg).test()
    return {key: metrics[key] for key in METRICS}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--stage1-iters', type=int, default=600)
    parser.add_argument('--stage2-iters', type=int, default=400)
    parser.add_argument(
        '--naive-iters', type=int, default=None, help='default: stage1-iters + stage2-iters'
    )
    parser.add_argument('--splits', nargs='+', default=['val', 'testA', 'testB'])
    parser.add_argument('--prefix', default='risclip_vit-tiny-clip_synthetic')
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'risclip_vs_naive'))
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='overrides for every config, e.g. img_size=192',
    )
    return parser.parse_args()


def summary(values: List[float]) -> str:
    values = np.array(values)
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{values.mean():.2f} ± {values.std():.2f}'


def main() -> None:
    args = parse_args()
    _import_heavy()
    for name in ('stage1_iters', 'stage2_iters', 'threads'):
        if getattr(args, name) < 1:
            raise SystemExit(f'--{name.replace("_", "-")} must be >= 1')
    naive_iters = args.naive_iters or args.stage1_iters + args.stage2_iters
    torch.set_num_threads(args.threads)

    models = [
        (
            'RISCLIP stage 1 (upsampled grounding map)',
            f'{args.prefix}_stage1.py',
            args.stage1_iters,
        ),
        ('RISCLIP stage 1 + 2', f'{args.prefix}.py', args.stage1_iters + args.stage2_iters),
        ('naive (frozen cosine map + decoder)', f'{args.prefix}_naive.py', naive_iters),
    ]
    results = {name: [] for name, _, _ in models}
    for seed in args.seeds:
        root = osp.join(args.work_dir, f'seed{seed}')
        options = args.cfg_options
        stage1 = train(models[0][1], args.stage1_iters, osp.join(root, 'stage1'), seed, options)
        stage2 = train(
            models[1][1],
            args.stage2_iters,
            osp.join(root, 'stage2'),
            seed,
            options,
            load_from=stage1['checkpoint'],
        )
        stage2['seconds'] += stage1['seconds']
        naive = train(models[2][1], naive_iters, osp.join(root, 'naive'), seed, options)
        for (name, config, _), run in zip(models, (stage1, stage2, naive)):
            test_dir = osp.join(root, 'test')
            scored = {
                split: evaluate(config, run['checkpoint'], split, test_dir, options)
                for split in args.splits
            }
            scored['no-text'] = evaluate(
                config, run['checkpoint'], args.splits[0], test_dir, options, no_text=True
            )
            results[name].append(dict(run, scores=scored))
            print(f'seed {seed} {name}: {scored}', flush=True)

    columns = [(split, key) for split in [*args.splits, 'no-text'] for key in METRICS]
    print(f"\nseeds {args.seeds}; no-text = {args.splits[0]} with every expression replaced by ''")
    print(
        '| model | iterations | trainable params | '
        + ' | '.join(f'{split} {key}' for split, key in columns)
        + ' | train time (s) |'
    )
    print('|---|---:|---:|' + '---:|' * len(columns) + '---:|')
    for name, _, iters in models:
        runs = results[name]
        cells = [summary([run['scores'][split][key] for run in runs]) for split, key in columns]
        print(
            f'| {name} | {iters} | {runs[0]["trainable"]:,} | '
            + ' | '.join(cells)
            + f' | {summary([run["seconds"] for run in runs])} |'
        )


if __name__ == '__main__':
    main()
