"""Runner set-up shared by ``tools/train.py`` and ``tools/test.py``.

MMEngine's launcher path assumes CUDA: ``init_dist`` calls ``torch.cuda.set_device`` and the
default DDP wrapper pins ``device_ids=[LOCAL_RANK]``. :func:`setup_launcher` makes the same
command lines work on a CPU-only torch build by starting a gloo process group itself (the
runner then skips its own ``init_dist``) and wrapping the model in DDP without device ids.
"""

import gc
import os
import subprocess
import warnings
from typing import Dict, Mapping

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.runner import Runner

from refseg.registry import RUNNERS

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
DEFAULT_MASTER_PORT = '29500'
# How a job gets the environment each launcher reads, for error messages.
_STARTERS = dict(
    pytorch='torchrun (tools/dist_train.sh)', slurm='srun (tools/slurm_train.sh)', mpi='mpirun'
)


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Record ``launcher`` in ``cfg``; on a machine without CUDA, prepare a gloo run.

    Args:
        cfg (Config): The run's config, changed in place.
        launcher (str): One of ``'none'``, ``'pytorch'``, ``'slurm'``, ``'mpi'``.

    Raises:
        ValueError: If ``launcher`` is not one of these.
        KeyError: On CPU, if the variables the launcher should have set are missing
            (e.g. ``--launcher pytorch`` without torchrun).
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'launcher must be one of {LAUNCHERS}, got {launcher!r}.')
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if not torch_dist.is_initialized():
        os.environ.update(rank_env_from_launcher(launcher, os.environ))
        torch_dist.init_process_group(backend='gloo', init_method='env://')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False),
        )
    elif cfg.model_wrapper_cfg.get('type', 'MMDistributedDataParallel') in (
        'MMDistributedDataParallel',
        'mmengine.MMDistributedDataParallel',
    ):
        # The runner's default device_ids=[LOCAL_RANK] is refused for CPU modules.
        cfg.model_wrapper_cfg.setdefault('device_ids', None)


def rank_env_from_launcher(launcher: str, environ: Mapping[str, str]) -> Dict[str, str]:
    """The ``torch.distributed`` ``env://`` variables a launcher's environment implies.

    ``pytorch`` (torchrun) already sets them; SLURM and Open MPI set their own, which are
    mapped here as MMEngine's ``init_dist`` maps them.

    Args:
        launcher (str): ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        environ (Mapping[str, str]): The process environment.

    Returns:
        dict[str, str]: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
        ``MASTER_PORT`` (values already in ``environ`` win).

    Raises:
        KeyError: If a variable the launcher should have set is missing.
    """
    if launcher == 'pytorch':
        names = dict(RANK='RANK', WORLD_SIZE='WORLD_SIZE')
    elif launcher == 'slurm':
        names = dict(RANK='SLURM_PROCID', WORLD_SIZE='SLURM_NTASKS', LOCAL_RANK='SLURM_LOCALID')
    elif launcher == 'mpi':
        names = dict(
            RANK='OMPI_COMM_WORLD_RANK',
            WORLD_SIZE='OMPI_COMM_WORLD_SIZE',
            LOCAL_RANK='OMPI_COMM_WORLD_LOCAL_RANK',
        )
    else:
        raise ValueError(f'No distributed environment for launcher {launcher!r}.')
    missing = [source for source in names.values() if source not in environ]
    if missing:
        raise KeyError(
            f'--launcher {launcher} expects the environment variables '
            f'{missing}, which are not set; start the job with '
            f'{_STARTERS[launcher]}.'
        )
    env = {target: environ[source] for target, source in names.items()}
    env.setdefault('LOCAL_RANK', environ.get('LOCAL_RANK', '0'))
    env['MASTER_PORT'] = environ.get('MASTER_PORT', DEFAULT_MASTER_PORT)
    if 'MASTER_ADDR' in environ:
        env['MASTER_ADDR'] = environ['MASTER_ADDR']
    elif launcher == 'slurm':
        env['MASTER_ADDR'] = _first_slurm_host(environ['SLURM_NODELIST'])
    else:
        raise KeyError(f'--launcher {launcher} needs MASTER_ADDR to be set.')
    return env


def _first_slurm_host(node_list: str) -> str:
    return subprocess.check_output(['scontrol', 'show', 'hostnames', node_list], text=True).split()[
        0
    ]


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to ``AmpOptimWrapper(loss_scale='dynamic')``.

    Mixed precision needs CUDA: MMEngine's ``AmpOptimWrapper`` refuses to start without
    it. On a CPU-only machine the run stays in float32 and a warning says so (bfloat16
    autocast on CPU is slow on most CPUs and CPU runs here are for debugging).

    Args:
        cfg (Config): The run's config, changed in place.

    Raises:
        ValueError: If ``optim_wrapper.type`` is neither ``OptimWrapper`` nor
            ``AmpOptimWrapper``.
    """
    if not torch.cuda.is_available():
        warnings.warn(
            '--amp ignored: mixed precision needs CUDA, which is not '
            'available; training runs in float32.'
        )
        return
    wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
    wrapper_name = wrapper_type.split('.')[-1]
    if wrapper_name == 'AmpOptimWrapper':
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif wrapper_name == 'OptimWrapper':
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        raise ValueError(
            '--amp expects optim_wrapper.type to be OptimWrapper or '
            f'AmpOptimWrapper, got {wrapper_type!r}.'
        )


def build_runner(cfg: Config) -> Runner:
    """Build the runner ``cfg`` asks for (``runner_type``) or MMEngine's default one."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def finish_distributed() -> None:
    """Tear the default process group down after a run ends normally.

    Left to interpreter exit, the process group's C++ threads can be destroyed while still
    joinable, and a rank then aborts ("terminate called without an active exception",
    SIGABRT) after its work is done, which fails the whole torchrun job. Nothing happens
    when no process group exists (single-process runs).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        # Objects that still hold the group (a DDP reducer in a reference cycle) would keep
        # its worker threads alive past destroy_process_group(): collect them first.
        gc.collect()
        torch_dist.destroy_process_group()
