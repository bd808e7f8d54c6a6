"""A checkpoint hook whose runs survive a kill, resume exactly and load weights-only."""

import json
import os
import os.path as osp
import random
import socket
import sys
import time
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import (
    all_gather_object,
    broadcast,
    broadcast_object_list,
    get_dist_info,
    is_main_process,
)
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop

from refseg.registry import HOOKS
from refseg.utils.checkpoint import (
    ATOMIC_BACKEND,
    atomic_write,
    from_weights_only,
    install_weights_only_loader,
    register_atomic_backend,
    remove_partial_files,
    restore_checkpoint_loaders,
    to_weights_only,
)

try:
    import fcntl
except ImportError:  # Windows: no work-dir lock
    fcntl = None

POINTER_FILE = 'last_checkpoint'
#: Step (epoch or iteration) of the last validation a training run finished.
VALIDATED_FILE = 'last_validation.json'
LOCK_FILE = '.refseg_train.lock'
RNG_KEY = 'rng_state'


def get_rng_state() -> dict:
    """Python's, numpy's and torch's (CPU and CUDA) random states, weights-only friendly."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return dict(
        python=random.getstate(),
        numpy=(name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
        torch=torch.get_rng_state(),
        cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    )


def set_rng_state(state: dict) -> None:
    """Undo :func:`get_rng_state`."""
    random.setstate(_as_tuples(state['python']))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if state['cuda'] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _as_tuples(value):
    # random.setstate wants (version, tuple, gauss): lists after some round trips.
    return tuple(_as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` made safe to kill, to resume and to reload.

    It takes the same arguments (plus ``interval_minutes``) and differs in these ways:

    * **Atomic files.** Checkpoints (latest and best) are written to a hidden partial file
      and renamed into place, and so is the ``last_checkpoint`` pointer, so a run killed at
      any moment resumes from its last *complete* checkpoint. Partial files of dead writers
      are deleted when training starts.
    * **Safe order.** A checkpoint that falls out of ``max_keep_ckpts``, and a replaced
      best checkpoint, are deleted only after the new file is in place.
    * **One run per work dir.** Training takes an exclusive lock on the work dir and
      refuses to start, naming the other process, when another run holds it.
    * **Weights-only content and loading.** Before saving, the message hub's
      ``HistoryBuffer`` and numpy values are turned into tensors and plain Python
      (``to_weights_only``), and turned back after loading. From ``before_run`` to
      ``after_run`` every checkpoint MMEngine loads (``load_from``, resume, ``init_cfg``
      ``Pretrained``, any URL scheme) is read weights-only.
    * **Exact resume.** Checkpoints hold every rank's Python, numpy and torch random
      states, restored where the next training step would have drawn from them;
      validation does not consume training randomness; a validation that a kill
      interrupted is run again on resume.
    * **Consistent validation.** In multi-process training the model's buffers (e.g.
      BatchNorm statistics) are broadcast from rank 0, whose weights are saved, before
      each validation, so the logged metric is the saved checkpoint's.

    Atomic writes apply to local folders; with a remote ``out_dir`` or explicit
    ``backend_args`` (or ``file_client_args``) the files are written through that
    backend as MMEngine does.

    Args:
        out_dir (str, optional): Folder for checkpoints; defaults to the work dir.
        backend_args (dict, optional): File backend arguments. Defaults to the atomic
            local backend for local folders.
        interval_minutes (float, optional): Also save at the end of any epoch
            (``by_epoch=True``) or iteration when this many minutes passed since the
            last save, whatever ``interval`` says. Defaults to None (off).
        **kwargs: Other ``CheckpointHook`` arguments (``interval``, ``by_epoch``,
            ``max_keep_ckpts``, ``save_best``, ...).
    """

    def __init__(
        self,
        out_dir: Optional[str] = None,
        backend_args: Optional[dict] = None,
        interval_minutes: Optional[float] = None,
        **kwargs,
    ) -> None:
        remote = out_dir is not None and '://' in str(out_dir)
        self._writes_atomically = (
            backend_args is None and not remote and kwargs.get('file_client_args') is None
        )
        if self._writes_atomically:
            register_atomic_backend()
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(out_dir=out_dir, backend_args=backend_args, **kwargs)
        if interval_minutes is not None and interval_minutes <= 0:
            raise ValueError(f'interval_minutes must be positive, got {interval_minutes}')
        self.interval_minutes = interval_minutes
        self._last_save_time = time.monotonic()
        self._loaders = None
        self._lock = None
        self._rng_to_save = None
        self._rng_to_restore = None
        self._rng_before_val = None
        self._training = False

    # ---------------------------------------------------------------- run set-up
    def before_run(self, runner) -> None:
        """Read every checkpoint of this run weights-only, whatever its scheme."""
        super().before_run(runner)
        if self._loaders is None:
            self._loaders = install_weights_only_loader()

    def after_run(self, runner) -> None:
        """Put MMEngine's checkpoint loaders back and release the work-dir lock."""
        if self._loaders is not None:
            restore_checkpoint_loaders(self._loaders)
            self._loaders = None
        self._release_lock()

    def before_train(self, runner) -> None:
        """Lock the work dir, set up as ``CheckpointHook`` does, clear dead partial files,
        and redo the validation a kill interrupted."""
        self._take_lock(runner)
        super().before_train(runner)
        self._training = True
        self._last_save_time = time.monotonic()
        if self._writes_atomically and is_main_process():
            for path in remove_partial_files(self.out_dir):
                runner.logger.warning(
                    f'Removed {path}: a partial checkpoint left by a run that '
                    'was stopped while saving.'
                )
        self._redo_interrupted_validation(runner)

    def after_train(self, runner) -> None:
        """Publish as ``CheckpointHook`` does; training is over."""
        super().after_train(runner)
        self._training = False

    def _take_lock(self, runner) -> None:
        message = None
        if is_main_process() and fcntl is not None and self._lock is None:
            os.makedirs(runner.work_dir, exist_ok=True)
            path = osp.join(runner.work_dir, LOCK_FILE)
            handle = open(path, 'a+')
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                owner = handle.read().strip() or 'unknown process'
                handle.close()
                message = (
                    f'Work dir {runner.work_dir} is in use by another training run '
                    f'({owner}; lock {path}). Wait for it to finish, stop it, or '
                    'train with another --work-dir.'
                )
            else:
                handle.seek(0)
                handle.truncate()
                handle.write(
                    f'pid {os.getpid()} on {socket.gethostname()}, started '
                    f'{time.strftime("%Y-%m-%d %H:%M:%S")}: '
                    f'{" ".join(sys.argv)}\n'
                )
                handle.flush()
                self._lock = handle
        if get_dist_info()[1] > 1:
            shared = [message]
            broadcast_object_list(shared)
            message = shared[0]
        if message is not None:
            raise RuntimeError(message)

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the flock
            self._lock = None

    # ---------------------------------------------------------------- validation
    def _train_step(self, runner) -> int:
        by_epoch = isinstance(runner.train_loop, EpochBasedTrainLoop)
        return runner.epoch if by_epoch else runner.iter

    def _validation_due(self, runner, step: int) -> bool:
        """Whether the train loop validates after ``step`` (its own rule)."""
        loop = runner.train_loop
        if runner.val_loop is None or step <= 0:
            return False
        last = loop.max_epochs if isinstance(loop, EpochBasedTrainLoop) else loop.max_iters
        return step >= loop.val_begin and (step % loop.val_interval == 0 or step == last)

    def _redo_interrupted_validation(self, runner) -> None:
        step = self._train_step(runner)
        if not self._validation_due(runner, step):
            return
        validated = -1
        if is_main_process():
            path = osp.join(runner.work_dir, VALIDATED_FILE)
            if osp.isfile(path):
                with open(path) as file:
                    validated = json.load(file).get('step', -1)
        if get_dist_info()[1] > 1:
            shared = [validated]
            broadcast_object_list(shared)
            validated = shared[0]
        if validated < step:
            runner.logger.info(
                f'Validation after step {step} did not finish before the '
                'run stopped: running it now.'
            )
            runner.val_loop.run()

    def before_val(self, runner) -> None:
        """Keep validation out of the training's random streams; align buffers."""
        self._rng_before_val = get_rng_state()
        if self._training and get_dist_info()[1] > 1:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            for buffer in model.buffers():
                broadcast(buffer, src=0)

    def after_val(self, runner) -> None:
        """Restore the random states saved by ``before_val``."""
        if self._rng_before_val is not None:
            set_rng_state(self._rng_before_val)
            self._rng_before_val = None

    def after_val_epoch(self, runner, metrics) -> None:
        """Save the best checkpoint as ``CheckpointHook`` does; record the validation."""
        super().after_val_epoch(runner, metrics)
        if self._training and is_main_process():
            atomic_write(
                osp.join(runner.work_dir, VALIDATED_FILE),
                json.dumps(dict(step=self._train_step(runner))).encode(),
            )

    # ---------------------------------------------------------------- saving
    def after_train_epoch(self, runner) -> None:
        """Save by ``interval`` as ``CheckpointHook`` does, or by ``interval_minutes``."""
        saved = self._last_save_time
        super().after_train_epoch(runner)
        if self.by_epoch and self._minutes_passed(saved):
            runner.logger.info(
                f'Saving checkpoint at {runner.epoch + 1} epochs '
                f'({self.interval_minutes} minutes since the last one)'
            )
            self._save_checkpoint(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Save by ``interval`` as ``CheckpointHook`` does, or by ``interval_minutes``."""
        saved = self._last_save_time
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        if not self.by_epoch and self._minutes_passed(saved):
            runner.logger.info(
                f'Saving checkpoint at {runner.iter + 1} iterations '
                f'({self.interval_minutes} minutes since the last one)'
            )
            self._save_checkpoint(runner)

    def _minutes_passed(self, saved_at: float) -> bool:
        """Whether a time-based save is due; rank 0 decides for all ranks."""
        if self.interval_minutes is None or self._last_save_time != saved_at:
            return False
        due = time.monotonic() - saved_at >= 60 * self.interval_minutes
        if get_dist_info()[1] > 1:
            shared = [due]
            broadcast_object_list(shared)
            due = shared[0]
        return due

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add the random states; make ``checkpoint`` weights-only readable."""
        if self._rng_to_save is not None:
            checkpoint[RNG_KEY] = self._rng_to_save
        checkpoint.update(to_weights_only(checkpoint))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Rebuild the values saved as tensors; keep the random states for training."""
        checkpoint.update(from_weights_only(checkpoint))
        states = checkpoint.get(RNG_KEY)
        if states:
            rank, world_size = get_dist_info()
            if len(states) != world_size:
                runner.logger.warning(
                    f'The checkpoint holds the random states of {len(states)} processes '
                    f'and this run has {world_size}: the resumed run will not repeat '
                    'the original one exactly.'
                )
            self._rng_to_restore = states[rank % len(states)]

    def before_train_epoch(self, runner) -> None:
        """Restore saved random states where the resumed loop next draws from them."""
        loop = runner.train_loop
        if isinstance(loop, EpochBasedTrainLoop):
            self._restore_rng()
        elif self._rng_to_restore is not None and hasattr(loop, 'dataloader_iterator'):
            # An iteration loop skips the batches it has seen (drawing random numbers
            # in the data pipeline) after this hook: restore when that is over.
            loop.dataloader_iterator = _RestoreRngAfterSkip(
                loop.dataloader_iterator, runner.iter, self._rng_to_restore
            )
            self._rng_to_restore = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Restore saved random states (iteration loops: after skipping seen batches)."""
        self._restore_rng()

    def _restore_rng(self) -> None:
        if self._rng_to_restore is not None:
            set_rng_state(self._rng_to_restore)
            self._rng_to_restore = None

    # Overrides CheckpointHook._save_checkpoint_with_step(runner, step, meta);
    # tests/test_utils/test_safe_loading.py checks that signature.
    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        dropped_steps = self._advance_keep_window(runner, step)

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        states = get_rng_state()
        self._rng_to_save = all_gather_object(states) if get_dist_info()[1] > 1 else [states]
        try:
            runner.save_checkpoint(
                self.out_dir,
                filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args,
            )
        finally:
            self._rng_to_save = None
        self._last_save_time = time.monotonic()
        if not is_main_process():
            return

        atomic_write(osp.join(runner.work_dir, POINTER_FILE), self.last_ckpt.encode())
        for dropped_step in dropped_steps:
            self._remove_checkpoint(self.filename_tmpl.format(dropped_step))

    # Overrides CheckpointHook._save_best_checkpoint(runner, metrics), which deletes the
    # old best file before writing the new one: here MMEngine is shown no old path (so it
    # deletes nothing), and the old file is deleted once the new one is in place.
    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        single = len(getattr(self, 'key_indicators', ())) <= 1
        if single:
            old_paths = {None: self.best_ckpt_path}
            self.best_ckpt_path = None
        else:
            old_paths = dict(self.best_ckpt_path_dict)
            self.best_ckpt_path_dict = {key: None for key in old_paths}
        try:
            super()._save_best_checkpoint(runner, metrics)
        except BaseException:
            # The new best file may be missing: keep pointing to the old one.
            if single:
                self.best_ckpt_path = old_paths[None]
            else:
                self.best_ckpt_path_dict = old_paths
            raise
        for key, old in old_paths.items():
            new = self.best_ckpt_path if single else self.best_ckpt_path_dict.get(key)
            if new is None:  # not improved: keep the old best
                if single:
                    self.best_ckpt_path = old
                else:
                    self.best_ckpt_path_dict[key] = old
            elif old and old != new and is_main_process() and self.file_backend.isfile(old):
                self.file_backend.remove(old)
                runner.logger.info(f'The previous best checkpoint {old} is removed')

    def _advance_keep_window(self, runner, step: int) -> List[int]:
        """Add ``step`` to the kept checkpoints; return the steps that fall out.

        The updated list goes into the message hub before saving, so the new checkpoint
        records which files a resumed run should keep.
        """
        if self.max_keep_ckpts <= 0:
            return []
        # A best-checkpoint update saves the latest step a second time.
        if self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step:
            return []
        dropped = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            dropped.append(self.keep_ckpt_ids.popleft())
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return dropped

    def _remove_checkpoint(self, filename: str) -> None:
        path = self.file_backend.join_path(self.out_dir, filename)
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            # DeepSpeed saves a checkpoint as a folder.
            self.file_backend.rmtree(path)


class _RestoreRngAfterSkip:
    """Iterator that sets the random states just before yielding batch ``skip + 1``."""

    def __init__(self, iterator, skip: int, state: dict) -> None:
        self.iterator, self.remaining, self.state = iterator, skip, state

    def __iter__(self):
        return self

    def __next__(self):
        if self.remaining == 0 and self.state is not None:
            set_rng_state(self.state)
            self.state = None
        self.remaining -= 1
        return next(self.iterator)

    def __getattr__(self, name: str):
        return getattr(self.iterator, name)
