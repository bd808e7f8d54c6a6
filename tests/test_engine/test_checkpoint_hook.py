"""Tests for AtomicCheckpointHook inside a real (tiny, in-process) MMEngine Runner."""
import os
import os.path as osp
import pathlib
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner

from refseg.engine.hooks.checkpoint_hook import AtomicCheckpointHook
from refseg.registry import HOOKS


class _Regressor(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        predictions = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=((predictions - torch.stack(targets))**2).mean())
        return predictions


class _Pairs(torch.utils.data.Dataset):
    metainfo = dict(classes=('object', ))

    def __len__(self):
        return 8

    def __getitem__(self, index):
        inputs = torch.tensor([float(index), 1.0])
        return dict(inputs=inputs, targets=inputs.sum(0, keepdim=True))


def _runner(work_dir, max_iters=4, resume=False, load_from=None):
    hook = dict(type='AtomicCheckpointHook', by_epoch=False, interval=1,
                max_keep_ckpts=2)
    return Runner(
        model=_Regressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Pairs(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        param_scheduler=dict(type='ConstantLR', factor=0.5, by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=hook),
        log_processor=dict(by_epoch=False),
        resume=resume,
        load_from=load_from,
        default_scope='refseg',
        experiment_name=f'ckpt_hook_{osp.basename(work_dir)}_{resume}_{max_iters}')


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
    torch.testing.assert_close(runner.model.linear.weight,
                               saved['state_dict']['linear.weight'])
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
        return pathlib.Path.touch, (pathlib.Path(self.marker), )


def test_load_from_refuses_a_checkpoint_with_pickled_objects(tmp_path):
    marker = tmp_path / 'code_ran'
    foreign = tmp_path / 'downloaded.pth'
    torch.save(dict(state_dict=_Regressor().state_dict(),
                    meta=dict(note=_TouchOnUnpickle(str(marker)))), foreign)
    runner = _runner(tmp_path / 'run', load_from=str(foreign))
    with pytest.raises(pickle.UnpicklingError, match='Refusing to load .*downloaded.pth'):
        runner.load_or_resume()
    assert not marker.exists()

    # The same weights saved as plain tensors load.
    clean = tmp_path / 'clean.pth'
    state_dict = {name: torch.full_like(value, 0.5)
                  for name, value in _Regressor().state_dict().items()}
    torch.save(dict(state_dict=state_dict), clean)
    runner = _runner(tmp_path / 'run2', load_from=str(clean))
    runner.load_or_resume()
    assert bool((runner.model.linear.weight == 0.5).all())
