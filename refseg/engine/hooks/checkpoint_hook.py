"""A checkpoint hook whose files survive a kill and load with ``weights_only=True``."""
import os.path as osp
from typing import List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from refseg.registry import HOOKS
from refseg.utils.checkpoint import (ATOMIC_BACKEND, atomic_write,
                                     from_weights_only, remove_partial_files,
                                     to_weights_only)

POINTER_FILE = 'last_checkpoint'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` made safe to kill and to reload.

    It takes the same arguments and differs in three ways:

    * **Atomic files.** Checkpoints (latest and best) are written to a hidden partial file
      and renamed into place, and so is the ``last_checkpoint`` pointer, so a run killed at
      any moment resumes from its last *complete* checkpoint. Partial files a killed run
      left behind are deleted when training starts.
    * **Safe order.** A checkpoint that falls out of ``max_keep_ckpts`` is deleted only
      after the new one and the pointer are in place (MMEngine deletes it first, so a kill
      in between can leave the pointer naming a deleted file).
    * **Weights-only content.** Before saving, the message hub's ``HistoryBuffer`` and numpy
      values are turned into tensors and plain Python (``to_weights_only``), and turned
      back after loading, so resuming needs no unsafe unpickling.

    Atomic writes apply to local folders; with a remote ``out_dir`` or explicit
    ``backend_args`` (or ``file_client_args``) the files are written through that
    backend as MMEngine does.

    Args:
        out_dir (str, optional): Folder for checkpoints; defaults to the work dir.
        backend_args (dict, optional): File backend arguments. Defaults to the atomic
            local backend for local folders.
        **kwargs: Other ``CheckpointHook`` arguments (``interval``, ``by_epoch``,
            ``max_keep_ckpts``, ``save_best``, ...).
    """

    def __init__(self,
                 out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        remote = out_dir is not None and '://' in str(out_dir)
        self._writes_atomically = (backend_args is None and not remote
                                   and kwargs.get('file_client_args') is None)
        if self._writes_atomically:
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(out_dir=out_dir, backend_args=backend_args, **kwargs)

    def before_train(self, runner) -> None:
        """Set up as ``CheckpointHook`` does, then clear leftover partial files."""
        super().before_train(runner)
        if self._writes_atomically and is_main_process():
            for path in remove_partial_files(self.out_dir):
                runner.logger.warning(
                    f'Removed {path}: a partial checkpoint left by a run that '
                    'was stopped while saving.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Make ``checkpoint`` readable by ``torch.load(weights_only=True)``."""
        checkpoint.update(to_weights_only(checkpoint))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Rebuild the ``HistoryBuffer`` and numpy values saved as tensors."""
        checkpoint.update(from_weights_only(checkpoint))

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        dropped_steps = self._advance_keep_window(runner, step)

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return

        atomic_write(
            osp.join(runner.work_dir, POINTER_FILE), self.last_ckpt.encode())
        for dropped_step in dropped_steps:
            self._remove_checkpoint(self.filename_tmpl.format(dropped_step))

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
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return dropped

    def _remove_checkpoint(self, filename: str) -> None:
        path = self.file_backend.join_path(self.out_dir, filename)
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            # DeepSpeed saves a checkpoint as a folder.
            self.file_backend.rmtree(path)
