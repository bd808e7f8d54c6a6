"""Train a refseg model.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
                          [--auto-scale-lr] [--vis-backend tensorboard|wandb ...]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

``--resume`` alone resumes from the work dir's newest complete checkpoint (and starts from
scratch if there is none yet), ``--resume CHECKPOINT`` from that file. Every checkpoint
(``load_from``, ``--resume``, ``init_cfg`` pretrained weights, local or URL) is read
weights-only. See docs/training.md.
CONFIG may be a path or ``refseg::<path under configs/>`` (an installed config).

Arguments are parsed before torch, mmengine or refseg are imported, so ``--help`` is quick.
"""

import argparse
import os
import os.path as osp
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from mmengine.config import Config

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
# --vis-backend name -> (MMEngine backend, the module it imports).
VIS_BACKENDS = dict(
    tensorboard=('TensorboardVisBackend', 'tensorboard'), wandb=('WandbVisBackend', 'wandb')
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a refseg model.')
    parser.add_argument(
        'config', help='config file, or refseg::<path under configs/> for an installed one'
    )
    parser.add_argument(
        '--work-dir', help='folder for logs and checkpoints (default: work_dirs/<config name>)'
    )
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        metavar='CHECKPOINT',
        help='resume training: alone, from the latest checkpoint in the work '
        'dir; with a path, from that checkpoint',
    )
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision training (CUDA only; ignored with a warning on CPU)',
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate linearly with the total batch size (processes x '
        "batch size) relative to the config's auto_scale_lr.base_batch_size",
    )
    parser.add_argument(
        '--vis-backend',
        action='append',
        choices=sorted(VIS_BACKENDS),
        default=[],
        help='also log scalars to TensorBoard or Weights & Biases (repeat the option for '
        'both), next to the local JSON log; needs pip install "refseg[vis]"; W&B reads '
        'WANDB_PROJECT and the other WANDB_* variables',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config settings, e.g. train_cfg.max_epochs=10 '
        "model.text_override=''; lists as key=[a,b] or key=a,b, quoted "
        'without spaces',
    )
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='job launcher (tools/dist_train.sh and slurm_train.sh set it)',
    )
    # torch.distributed.launch passes --local_rank, torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_auto_scale_lr(cfg: 'Config') -> None:
    """Switch on MMEngine's linear learning-rate scaling.

    Raises:
        KeyError: If the config has no ``auto_scale_lr.base_batch_size``.
    """
    if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
        raise KeyError(
            f'--auto-scale-lr needs auto_scale_lr.base_batch_size in {cfg.filename} (the '
            'total batch size its learning rate was set for), e.g. '
            'auto_scale_lr = dict(enable=False, base_batch_size=64)'
        )
    cfg.auto_scale_lr.enable = True


def add_vis_backends(cfg: 'Config', names: Sequence[str]) -> None:
    """Append TensorBoard / W&B backends to the visualizer's.

    Raises:
        ImportError: If the package a backend needs is not installed.
        KeyError: If the config has no ``visualizer``.
    """
    import importlib.util

    if 'visualizer' not in cfg:
        raise KeyError(f'--vis-backend needs a visualizer in {cfg.filename}')
    backends = list(cfg.visualizer.get('vis_backends') or [])
    for name in names:
        backend, module = VIS_BACKENDS[name]
        if importlib.util.find_spec(module) is None:
            raise ImportError(
                f'--vis-backend {name} needs {module}: '
                'pip install "refseg[vis]" (or pip install ' + module + ')'
            )
        if all(b.get('type') != backend for b in backends):
            backends.append(dict(type=backend))
    cfg.visualizer.vis_backends = backends


def main() -> None:
    args = parse_args()

    from refseg.engine.launcher import (
        build_runner,
        enable_amp,
        finish_distributed,
        setup_launcher,
    )
    from refseg.utils.checkpoint import find_resume_checkpoint, weights_only_checkpoint_loading
    from refseg.utils.config import load_config
    from refseg.utils.config_overrides import resolve_stage1_checkpoint

    cfg = load_config(args.config, args.cfg_options)
    setup_launcher(cfg, args.launcher)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    if args.vis_backend:
        add_vis_backends(cfg, args.vis_backend)

    if args.resume == 'auto':
        # The newest complete checkpoint, which may be newer than last_checkpoint says.
        cfg.resume = True
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        if cfg.load_from is not None:
            print(f'Resuming from the newest complete checkpoint {cfg.load_from}')
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    # A RISCLIP stage-2 config starts from its stage 1's last checkpoint.
    resolve_stage1_checkpoint(cfg, cfg.filename)

    with weights_only_checkpoint_loading():
        runner = build_runner(cfg)
        runner.train()
    # The DDP wrapper holds the process group: drop it first, or the group outlives
    # destroy_process_group() until interpreter exit (see finish_distributed).
    del runner
    finish_distributed()


if __name__ == '__main__':
    main()
