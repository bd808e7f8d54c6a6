"""Tests for refseg.utils.checkpoint: atomic writes and weights-only checkpoints."""

import os
import pickle
import signal
import subprocess
import sys
from collections import OrderedDict
from fractions import Fraction

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, load_checkpoint

from refseg.utils.checkpoint import (
    ATOMIC_BACKEND,
    TYPE_TAG,
    AtomicLocalBackend,
    atomic_write,
    from_weights_only,
    load_from_local_weights_only,
    load_from_weights_only,
    register_atomic_backend,
    remove_partial_files,
    to_weights_only,
    weights_only_checkpoint_loading,
)


def _partial_files(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith('.partial'))


def test_atomic_write_replaces_content_with_umask_mode(tmp_path):
    path = tmp_path / 'file.bin'
    path.write_bytes(b'old')
    atomic_write(str(path), b'new content')
    assert path.read_bytes() == b'new content'
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert _partial_files(tmp_path) == []


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(b'complete')

    def fail(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'fsync', fail)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(str(path), b'half')
    assert path.read_bytes() == b'complete'
    assert _partial_files(tmp_path) == []


def test_kill_during_write_leaves_old_file_and_a_removable_partial(tmp_path):
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(b'complete')
    pid = os.fork()
    if pid == 0:
        # The writer dies (SIGKILL, no clean-up) after writing, before the rename.
        try:
            os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
            atomic_write(str(path), b'x' * 100000)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert path.read_bytes() == b'complete'
    partials = _partial_files(tmp_path)
    assert len(partials) == 1 and partials[0].startswith('.ckpt.pth.')
    assert remove_partial_files(str(tmp_path)) == [str(tmp_path / partials[0])]
    assert _partial_files(tmp_path) == []
    assert path.exists()


def test_remove_partial_files_spares_other_files(tmp_path):
    (tmp_path / 'iter_2.pth').write_bytes(b'a')
    (tmp_path / 'notes.partial').write_bytes(b'b')  # not hidden: not ours
    assert remove_partial_files(str(tmp_path)) == []
    assert remove_partial_files(str(tmp_path / 'missing')) == []
    assert sorted(os.listdir(tmp_path)) == ['iter_2.pth', 'notes.partial']


def test_only_partial_files_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    live_other = tmp_path / f'.iter_4.pth.{os.getppid()}-0123abcd.partial'
    of_dead = tmp_path / f'.iter_4.pth.{dead.pid}-4567abcd.partial'
    for path in (live_other, of_dead):
        path.write_bytes(b'half')
    assert remove_partial_files(str(tmp_path)) == [str(of_dead)]
    assert live_other.exists()


def test_atomic_backend_is_registered_and_atomic(tmp_path):
    from mmengine.fileio import get_file_backend

    register_atomic_backend()
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend=ATOMIC_BACKEND))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'bytes', str(tmp_path / 'a.bin'))
    backend.put_text('text', str(tmp_path / 'b.txt'))
    assert (tmp_path / 'a.bin').read_bytes() == b'bytes'
    assert (tmp_path / 'b.txt').read_text() == 'text'


def _runner_like_checkpoint():
    buffer = HistoryBuffer()
    buffer.update(1.5, count=2)
    buffer.update(np.float64(0.25))
    state_dict = OrderedDict(weight=torch.ones(2, 2))
    state_dict._metadata = OrderedDict({'': dict(version=1)})
    return dict(
        meta=dict(
            iter=4,
            seed=np.int64(7),
            dataset_meta=ConfigDict(classes=('object',), palette=[[1, 2, 3]]),
            mean=np.array([1.0, 2.0], dtype=np.float32),
        ),
        state_dict=state_dict,
        message_hub=dict(
            log_scalars=OrderedDict({'train/loss': buffer}),
            runtime_info=OrderedDict(lr=np.float32(0.5), ids=[np.int64(2), 4]),
            resumed_keys=OrderedDict({'train/loss': True}),
        ),
    )


def test_encoded_checkpoint_loads_weights_only_and_decodes_back(tmp_path):
    checkpoint = _runner_like_checkpoint()
    path = tmp_path / 'ckpt.pth'
    torch.save(checkpoint, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)

    encoded = to_weights_only(checkpoint)
    # Untouched containers stay the same objects (the state dict keeps _metadata).
    assert encoded['state_dict'] is checkpoint['state_dict']
    torch.save(encoded, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['meta']['seed'] == 7 and type(loaded['meta']['seed']) is int
    assert type(loaded['meta']['dataset_meta']) is dict
    assert loaded['meta']['mean'][TYPE_TAG] == 'ndarray'
    assert loaded['state_dict']._metadata == {'': dict(version=1)}

    decoded = from_weights_only(loaded)
    np.testing.assert_array_equal(decoded['meta']['mean'], [1.0, 2.0])
    assert decoded['meta']['mean'].dtype == np.float32
    buffer = decoded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    original = checkpoint['message_hub']['log_scalars']['train/loss']
    for restored, expected in zip(buffer.data, original.data):
        np.testing.assert_array_equal(restored, expected)
    assert buffer.max_length == original.max_length
    assert buffer.mean() == pytest.approx(original.mean())
    assert decoded['message_hub']['runtime_info'] == dict(lr=0.5, ids=[2, 4])
    assert decoded['meta']['dataset_meta'] == dict(classes=('object',), palette=[[1, 2, 3]])


def test_unknown_object_is_refused_with_its_place(tmp_path):

    class Opaque:
        pass

    with pytest.raises(TypeError, match=r'checkpoint\.message_hub\.x\[1\]'):
        to_weights_only(dict(message_hub=dict(x=[1, Opaque()])))
    with pytest.raises(TypeError, match=r'meta\.names.*dtype <U1'):
        to_weights_only(dict(names=np.array(['a', 'b'])), where='meta')
    with pytest.raises(ValueError, match='expected'):
        from_weights_only({TYPE_TAG: 'Opaque'})


def test_loader_is_installed_explicitly_and_refuses_pickled_objects(tmp_path):
    path = tmp_path / 'released.pth'
    torch.save(dict(state_dict=dict(weight=torch.zeros(1)), scale=Fraction(1, 3)), path)

    schemes = CheckpointLoader._schemes
    with weights_only_checkpoint_loading():
        assert CheckpointLoader._get_checkpoint_loader(str(path)) is load_from_weights_only
        with pytest.raises(pickle.UnpicklingError, match='Refusing to load .*released.pth'):
            load_checkpoint(torch.nn.Linear(1, 1), str(path))
    assert CheckpointLoader._schemes is schemes


def test_loader_names_the_file_when_it_is_truncated_or_missing(tmp_path):
    path = tmp_path / 'iter_2.pth'
    torch.save(dict(weight=torch.zeros(100)), path)
    assert load_from_local_weights_only(str(path))['weight'].shape == (100,)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(RuntimeError, match='Cannot read checkpoint .*iter_2.pth'):
        load_from_local_weights_only(str(path))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_from_local_weights_only(str(tmp_path / 'missing.pth'))
