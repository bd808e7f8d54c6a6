"""Tests for AtomicCheckpointHook inside a real (tiny, in-process) MMEngine Runner."""

import json
import os
import os.path as osp
import pathlib
import pickle
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner

from refseg.engine.hooks.checkpoint_hook import AtomicCheckpointHook
from refseg.registry import HOOKS
from refseg.utils.checkpoint import find_resume_checkpoint


class _Regressor(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        predictions = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=((predictions - torch.stack(targets)) ** 2).mean())
        return predictions


class _Pairs(torch.utils.data.Dataset):
    metainfo = dict(classes=('object',))

    def __len__(self):
        return 8

    def __getitem__(self, index):
        inputs = torch.tensor([float(index), 1.0])
        return dict(inputs=inputs, targets=inputs.sum(0, keepdim=True))


def _runner(work_dir, max_iters=4, resume=False, load_from=None):
    hook = dict(type='AtomicCheckpointHook', by_epoch=False, interval=1, max_keep_ckpts=2)
    return Runner(
        model=_Regressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Pairs(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0,
        ),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        param_scheduler=dict(type='ConstantLR', factor=0.5, by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=hook),
        log_processor=dict(by_epoch=False),
        resume=resume,
        load_from=load_from,
        default_scope='refseg',
        experiment_name=f'ckpt_hook_{osp.basename(work_dir)}_{resume}_{max_iters}',
    )


@pytest.fixture(autouse=True)
def keep_mmengine_loaders():
    # A run stopped by an exception never reaches after_run, which puts them back.
    schemes = CheckpointLoader._schemes
    yield
    CheckpointLoader._schemes = schemes


def _checkpoints(work_dir):
    return sorted(name for name in os.listdir(work_dir) if name.endswith('.pth'))


def test_registered_in_refseg_scope():
    assert HOOKS.get('AtomicCheckpointHook') is AtomicCheckpointHook
    assert HOOKS.build(dict(type='AtomicCheckpointHook'))._writes_atomically
    remote = HOOKS.build(dict(type='AtomicCheckpointHook', out_dir='s3://bucket'))
    assert not remote._writes_atomically and remote.backend_args is None


def test_saves_weights_only_files_keeps_window_and_points_to_last(tmp_path):
    _runner(tmp_path).train()

    assert _checkpoints(tmp_path) == ['iter_3.pth', 'iter_4.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_4.pth')
    assert not [name for name in os.listdir(tmp_path) if name.endswith('.partial')]
    checkpoint = torch.load(tmp_path / 'iter_4.pth', weights_only=True)
    assert checkpoint['meta']['iter'] == 4
    assert checkpoint['message_hub']['runtime_info']['keep_ckpt_ids'] == [3, 4]
    loss_history = checkpoint['message_hub']['log_scalars']['train/loss']
    assert loss_history['__refseg_type__'] == 'HistoryBuffer'


def test_resume_restores_iteration_history_and_weights(tmp_path):
    _runner(tmp_path).train()
    saved = torch.load(tmp_path / 'iter_4.pth', weights_only=True)

    runner = _runner(tmp_path, max_iters=6, resume=True)
    runner.load_or_resume()
    assert runner.iter == 4
    loss_history = runner.message_hub.get_scalar('train/loss')
    assert isinstance(loss_history, HistoryBuffer)
    assert len(loss_history.data[0]) == 4
    torch.testing.assert_close(runner.model.linear.weight, saved['state_dict']['linear.weight'])
    runner.train()
    assert _checkpoints(tmp_path) == ['iter_5.pth', 'iter_6.pth']


def test_old_checkpoint_is_deleted_only_after_the_new_one_is_saved(tmp_path):
    runner = _runner(tmp_path, max_iters=6)
    save = runner.save_checkpoint
    calls = []

    def save_then_die_on_third(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 3:
            raise KeyboardInterrupt  # the run is stopped while saving iter_3
        return save(*args, **kwargs)

    runner.save_checkpoint = save_then_die_on_third
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert _checkpoints(tmp_path) == ['iter_1.pth', 'iter_2.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_2.pth')


def test_partial_files_of_a_killed_run_are_removed(tmp_path):
    leftover = tmp_path / '.iter_2.pth.0123abcd.partial'
    leftover.write_bytes(b'truncated')
    _runner(tmp_path, max_iters=1).train()
    assert not leftover.exists()
    assert _checkpoints(tmp_path) == ['iter_1.pth']


class _TouchOnUnpickle:
    """Unpickling this object creates a file: the stand-in for running foreign code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def test_load_from_refuses_a_checkpoint_with_pickled_objects(tmp_path):
    marker = tmp_path / 'code_ran'
    foreign = tmp_path / 'downloaded.pth'
    torch.save(
        dict(state_dict=_Regressor().state_dict(), meta=dict(note=_TouchOnUnpickle(str(marker)))),
        foreign,
    )
    runner = _runner(tmp_path / 'run', load_from=str(foreign))
    runner.call_hook('before_run')  # as Runner.train/val/test do before loading
    with pytest.raises(pickle.UnpicklingError, match='Refusing to load .*downloaded.pth'):
        runner.load_or_resume()
    assert not marker.exists()

    # The same weights saved as plain tensors load.
    clean = tmp_path / 'clean.pth'
    state_dict = {
        name: torch.full_like(value, 0.5) for name, value in _Regressor().state_dict().items()
    }
    torch.save(dict(state_dict=state_dict), clean)
    runner = _runner(tmp_path / 'run2', load_from=str(clean))
    runner.call_hook('before_run')
    runner.load_or_resume()
    assert bool((runner.model.linear.weight == 0.5).all())


# ------------------------------------------------------------------ exact, complete resume
class _NoisyRegressor(_Regressor):
    """Draws from torch's random stream in every step; stops the run at ``stop_at``."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at = stop_at
        self.steps = 0

    def forward(self, inputs, targets=None, mode='tensor'):
        predictions = self.linear(torch.stack(inputs))
        if mode != 'loss':
            return predictions
        self.steps += 1
        if self.steps == self.stop_at:
            raise KeyboardInterrupt  # killed mid-step
        noise = 0.1 * torch.randn_like(predictions)
        return dict(loss=((predictions + noise - torch.stack(targets)) ** 2).mean())


class _JitteredPairs(_Pairs):
    """Draws from numpy's and Python's random streams for every sample."""

    def __getitem__(self, index):
        item = super().__getitem__(index)
        item['inputs'] = item['inputs'] + float(np.random.rand()) + random.random()
        return item


class _MeanError(BaseMetric):
    """Mean absolute error; raises (a kill) during the validation numbered ``stop_at``."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at, self.runs = stop_at, 0

    def process(self, data_batch, data_samples):
        errors = torch.stack(data_samples).squeeze(1) - torch.stack(data_batch['targets'])
        self.results.extend(errors.abs().flatten().tolist())

    def compute_metrics(self, results):
        self.runs += 1
        if self.runs == self.stop_at:
            raise KeyboardInterrupt
        return dict(error=float(np.mean(results)))


def _noisy_runner(
    work_dir, name, by_epoch=False, stop_at=None, val_stop_at=None, resume=False, **hook_args
):
    loader = dict(
        dataset=_JitteredPairs(),
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_size=2,
        num_workers=0,
    )
    hook = dict(
        type='AtomicCheckpointHook', by_epoch=by_epoch, interval=1, max_keep_ckpts=3, **hook_args
    )
    val = {}
    if by_epoch:
        val = dict(
            val_dataloader=dict(loader, sampler=dict(type='DefaultSampler', shuffle=False)),
            val_cfg=dict(),
            val_evaluator=Evaluator([_MeanError(val_stop_at)]),
        )
    torch.manual_seed(0)  # the same initial weights in every run
    return Runner(
        model=_NoisyRegressor(stop_at),
        work_dir=str(work_dir),
        train_dataloader=loader,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1)
        if by_epoch
        else dict(by_epoch=False, max_iters=6),
        default_hooks=dict(checkpoint=hook),
        log_processor=dict(by_epoch=by_epoch),
        randomness=dict(seed=3),
        resume=resume,
        default_scope='refseg',
        experiment_name=f'noisy_{name}',
        **val,
    )


def _killed(runner):
    """Run ``runner`` until it raises; release what the dead process would release."""
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    next(h for h in runner.hooks if isinstance(h, AtomicCheckpointHook))._release_lock()


def test_killed_and_resumed_run_equals_an_uninterrupted_one_bit_for_bit(tmp_path):
    _noisy_runner(tmp_path / 'straight', 'straight').train()
    _killed(_noisy_runner(tmp_path / 'killed', 'killed', stop_at=5))
    assert _checkpoints(tmp_path / 'killed')[-1] == 'iter_4.pth'
    _noisy_runner(tmp_path / 'killed', 'resumed', resume=True).train()

    straight = torch.load(tmp_path / 'straight' / 'iter_6.pth', weights_only=True)
    resumed = torch.load(tmp_path / 'killed' / 'iter_6.pth', weights_only=True)
    for key, value in straight['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key
    assert resumed['rng_state'][0]['torch'].dtype == torch.uint8


def test_resume_redoes_a_validation_that_a_kill_interrupted(tmp_path):
    # Killed during the final validation, after epoch_2.pth was written.
    _killed(
        _noisy_runner(
            tmp_path, 'val_killed', by_epoch=True, val_stop_at=2, save_best='error', rule='less'
        )
    )
    assert json.loads((tmp_path / 'last_validation.json').read_text()) == dict(step=1)
    assert 'epoch_2.pth' in _checkpoints(tmp_path)

    runner = _noisy_runner(
        tmp_path, 'val_redone', by_epoch=True, resume=True, save_best='error', rule='less'
    )
    runner.train()
    assert runner.val_evaluator.metrics[0].runs == 1  # the lost validation, once
    assert runner.message_hub.get_info('best_score') is not None
    assert [name for name in _checkpoints(tmp_path) if name.startswith('best_')]
    assert json.loads((tmp_path / 'last_validation.json').read_text()) == dict(step=2)
    # A further resume finds nothing left to do.
    runner = _noisy_runner(
        tmp_path, 'val_done', by_epoch=True, resume=True, save_best='error', rule='less'
    )
    runner.train()
    assert runner.val_evaluator.metrics[0].runs == 0


def test_best_checkpoint_is_replaced_only_after_the_new_one_is_written(tmp_path):
    runner = _noisy_runner(tmp_path, 'best', by_epoch=True, save_best='error', rule='less')
    hook = next(h for h in runner.hooks if isinstance(h, AtomicCheckpointHook))
    hook.is_better_than['error'] = lambda new, old: True  # every validation improves
    save = runner.save_checkpoint

    def die_saving_second_best(out_dir, filename, *args, **kwargs):
        if filename.startswith('best_') and 'epoch_2' in filename:
            raise KeyboardInterrupt
        return save(out_dir, filename, *args, **kwargs)

    runner.save_checkpoint = die_saving_second_best
    _killed(runner)
    assert 'best_error_epoch_1.pth' in _checkpoints(tmp_path)

    runner.save_checkpoint = save
    hook._save_best_checkpoint(runner, dict(error=0.0))
    bests = [name for name in _checkpoints(tmp_path) if name.startswith('best_')]
    assert bests == ['best_error_epoch_2.pth']


def test_a_second_run_in_the_same_work_dir_is_refused(tmp_path):
    first = _noisy_runner(tmp_path, 'first')
    hook = next(h for h in first.hooks if isinstance(h, AtomicCheckpointHook))
    hook._take_lock(first)
    partial = tmp_path / f'.iter_9.pth.{os.getpid()}-0123abcd.partial'
    partial.write_bytes(b'being written')
    try:
        with pytest.raises(
            RuntimeError, match=f'in use by another training run \\(pid {os.getpid()} on'
        ):
            _noisy_runner(tmp_path, 'second').train()
        assert partial.exists()
    finally:
        hook._release_lock()
    hook._take_lock(first)  # free again once released (or once its process is gone)
    hook._release_lock()


def test_resume_picks_the_newest_complete_checkpoint(tmp_path):
    for step in (2, 4, 6):
        torch.save(dict(meta=dict(iter=step), state_dict={}), tmp_path / f'iter_{step}.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    # iter_6.pth: truncated by a writer that was not atomic.
    (tmp_path / 'iter_6.pth').write_bytes((tmp_path / 'iter_6.pth').read_bytes()[:50])
    with pytest.warns(UserWarning, match='Not resuming from .*iter_6.pth'):
        assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_4.pth')
    assert find_resume_checkpoint(str(tmp_path / 'empty')) is None


def test_interval_minutes_saves_between_intervals(tmp_path):
    runner = _noisy_runner(tmp_path, 'minutes', interval_minutes=1e-9)
    hook = next(h for h in runner.hooks if isinstance(h, AtomicCheckpointHook))
    hook.interval = 100
    runner.train()
    assert _checkpoints(tmp_path) == ['iter_4.pth', 'iter_5.pth', 'iter_6.pth']
    with pytest.raises(ValueError, match='interval_minutes'):
        AtomicCheckpointHook(interval_minutes=0)
