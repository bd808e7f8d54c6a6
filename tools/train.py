"""Train a refseg model.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

``--resume`` alone resumes from the work dir's newest complete checkpoint (and starts from
scratch if there is none yet), ``--resume CHECKPOINT`` from that file. Every checkpoint
(``load_from``, ``--resume``, ``init_cfg`` pretrained weights, local or URL) is read
weights-only. See docs/training.md.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from refseg.engine.runner import (LAUNCHERS, build_runner, enable_amp,
                                  setup_launcher)
from refseg.utils.checkpoint import (find_resume_checkpoint,
                                     weights_only_checkpoint_loading)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a refseg model.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--work-dir',
        help='folder for logs and checkpoints (default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        metavar='CHECKPOINT',
        help='resume training: alone, from the latest checkpoint in the work '
        'dir; with a path, from that checkpoint')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision training (CUDA only; ignored with a warning on CPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=10 '
        "model.text_override=''; lists as key=[a,b] or key=a,b, quoted "
        'without spaces')
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='job launcher (tools/dist_train.sh and slurm_train.sh set it)')
    # torch.distributed.launch passes --local_rank, torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()

    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    setup_launcher(cfg, args.launcher)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        enable_amp(cfg)

    if args.resume == 'auto':
        # The newest complete checkpoint, which may be newer than last_checkpoint says.
        cfg.resume = True
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        if cfg.load_from is not None:
            print(f'Resuming from the newest complete checkpoint {cfg.load_from}')
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    with weights_only_checkpoint_loading():
        runner = build_runner(cfg)
        runner.train()


if __name__ == '__main__':
    main()
