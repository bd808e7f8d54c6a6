"""No file from outside runs code when refseg reads it (issue 10 items 1-4).

Each test plants a payload (a pickled object whose rebuilding creates a marker file) and
checks that reading the file fails, names the file, and leaves no marker.
"""

import functools
import http.server
import inspect
import json
import pathlib
import pickle
import subprocess
import sys
import threading
import zipfile

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import CheckpointHook
from mmengine.runner import CheckpointLoader, load_checkpoint

import refseg.utils.checkpoint as refseg_checkpoint
from refseg.datasets.refcoco import load_refs
from refseg.utils.checkpoint import load_from_weights_only, weights_only_checkpoint_loading
from refseg.utils.safe_pickle import (
    UnsafePickleError,
    load_data_file,
    read_torchscript_weights,
    restricted_loads,
)


class TouchOnUnpickle:
    """Unpickling this object creates a file: the stand-in for running foreign code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


@pytest.fixture(autouse=True)
def keep_mmengine_loaders():
    schemes = CheckpointLoader._schemes
    yield
    CheckpointLoader._schemes = schemes


@pytest.fixture
def evil_and_clean(tmp_path):
    marker = tmp_path / 'code_ran'
    served = tmp_path / 'served'
    served.mkdir()
    torch.save(
        dict(state_dict=dict(weight=torch.ones(2)), meta=TouchOnUnpickle(marker)),
        served / 'evil.pth',
    )
    torch.save(dict(state_dict=dict(weight=torch.ones(2))), served / 'clean.pth')
    return served, marker


@pytest.fixture
def http_root(evil_and_clean, tmp_path, monkeypatch):
    """``http://127.0.0.1:PORT`` serving the ``served`` folder; a fresh torch hub cache."""
    served, _ = evil_and_clean
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_importing_refseg_changes_nothing_in_mmengine():
    code = (
        'from mmengine.fileio.backends import backends, prefix_to_backends\n'
        'from mmengine.runner import CheckpointLoader\n'
        'before = (dict(CheckpointLoader._schemes), dict(backends), '
        'dict(prefix_to_backends))\n'
        'import refseg, refseg.utils.checkpoint, refseg.engine, refseg.apis\n'
        'after = (dict(CheckpointLoader._schemes), dict(backends), '
        'dict(prefix_to_backends))\n'
        'assert before == after, [set(a) ^ set(b) for a, b in zip(before, after)]\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_mmengine_internals_the_safe_loader_relies_on():
    """Fails loudly when an MMEngine upgrade changes what refseg overrides or swaps."""
    assert isinstance(CheckpointLoader.__dict__['_schemes'], dict)
    assert 'cls._schemes' in inspect.getsource(CheckpointLoader._get_checkpoint_loader)
    params = inspect.signature(CheckpointHook._save_checkpoint_with_step).parameters
    assert list(params) == ['self', 'runner', 'step', 'meta']
    params = inspect.signature(CheckpointHook._save_best_checkpoint).parameters
    assert list(params) == ['self', 'runner', 'metrics']
    source = inspect.getsource(CheckpointHook._save_best_checkpoint)
    # The old best file is removed through best_ckpt_path(_dict), which refseg blanks.
    assert 'if best_ckpt_path and is_main_process()' in source
    with weights_only_checkpoint_loading():
        for path in (
            'a.pth',
            'https://x/a.pth',
            'open-mmlab://x',
            's3://b/a.pth',
            'pavi://x',
            'torchvision://x',
            'open-mmlab:s3://b/a.pth',
        ):
            assert CheckpointLoader._get_checkpoint_loader(path) is load_from_weights_only
    assert CheckpointLoader._get_checkpoint_loader('https://x/a.pth') is not load_from_weights_only


def test_local_and_http_checkpoints_are_read_weights_only(evil_and_clean, http_root, monkeypatch):
    served, marker = evil_and_clean
    # Even when the environment asks torch for full unpickling.
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    for source in (str(served / 'evil.pth'), f'{http_root}/evil.pth'):
        with pytest.raises(pickle.UnpicklingError, match='Refusing to load .*evil.pth'):
            load_from_weights_only(source)
    clean = load_from_weights_only(f'{http_root}/clean.pth')
    assert torch.equal(clean['state_dict']['weight'], torch.ones(2))
    # Downloaded once into the torch hub cache, then read from there.
    assert (pathlib.Path(torch.hub.get_dir()) / 'checkpoints' / 'clean.pth').is_file()
    assert not marker.exists()


def test_every_mmengine_scheme_goes_through_the_weights_only_reader(
    evil_and_clean, http_root, tmp_path, monkeypatch
):
    served, marker = evil_and_clean
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    # open-mmlab:// names resolve through MMEngine's model list, extended from here.
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path / 'mmengine_home'))
    (tmp_path / 'mmengine_home').mkdir()
    (tmp_path / 'mmengine_home' / 'open_mmlab.json').write_text(
        json.dumps(dict(evil_model=f'{http_root}/evil.pth'))
    )

    class FakeS3:
        def get(self, filepath):
            return (served / 'evil.pth').read_bytes()

    monkeypatch.setattr(refseg_checkpoint, 'get_file_backend', lambda *a, **k: FakeS3())
    model = nn.Module()
    model.weight = nn.Parameter(torch.zeros(2))
    with weights_only_checkpoint_loading():
        for source in (f'{http_root}/evil.pth', 'open-mmlab://evil_model', 's3://bucket/evil.pth'):
            with pytest.raises(pickle.UnpicklingError, match='Refusing to load .*evil.pth'):
                load_checkpoint(model, source)  # what load_from and Pretrained call
    assert not marker.exists()


def test_init_model_accepts_an_http_checkpoint_and_refuses_a_payload(evil_and_clean, http_root):
    from refseg.apis.inference import _read_checkpoint

    _, marker = evil_and_clean
    weights, _ = _read_checkpoint(f'{http_root}/clean.pth')
    assert torch.equal(weights['weight'], torch.ones(2))
    with pytest.raises(pickle.UnpicklingError, match='evil.pth'):
        _read_checkpoint(f'{http_root}/evil.pth')
    assert not marker.exists()


def _torchscript_with_data_pickle(path, data_pkl: bytes) -> None:
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('archive/data.pkl', data_pkl)
        archive.writestr('archive/constants.pkl', pickle.dumps((), protocol=2))
        archive.writestr('archive/version', '3\n')


def test_torchscript_archive_is_read_without_running_it(tmp_path):
    module = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    module[1].running_mean.fill_(0.25)
    module.register_buffer('scale', torch.arange(4, dtype=torch.float16))
    trusted = tmp_path / 'trusted.pt'
    torch.jit.save(torch.jit.script(module), str(trusted))
    weights = read_torchscript_weights(str(trusted))
    expected = dict(module.state_dict())
    assert set(weights) == set(expected)
    assert all(torch.equal(weights[key], expected[key]) for key in expected)

    marker = tmp_path / 'code_ran'
    evil = tmp_path / 'RN50.pt'
    _torchscript_with_data_pickle(evil, pickle.dumps(TouchOnUnpickle(marker), protocol=2))
    with pytest.raises(UnsafePickleError, match='RN50.pt: its data.pkl names'):
        read_torchscript_weights(str(evil))
    from refseg.models.backbones.clip.weights import load_clip_state_dict

    with pytest.raises(UnsafePickleError, match='RN50.pt'):
        load_clip_state_dict(str(evil))
    assert not marker.exists()


def test_dataset_pickles_allow_builtin_values_only(tmp_path, capsys):
    refs = [
        dict(
            ref_id=1,
            ann_id=2,
            image_id=3,
            category_id=1,
            split='train',
            sentences=[dict(sent_id=0, sent='a cat', raw='A cat')],
            tags={'x'},
        )
    ]
    assert restricted_loads(pickle.dumps(refs, protocol=2), 'refs.p') == refs

    marker = tmp_path / 'code_ran'
    evil = tmp_path / 'refs(unc).p'
    evil.write_bytes(pickle.dumps([dict(ref_id=1, note=TouchOnUnpickle(marker))], protocol=2))
    with pytest.raises(UnsafePickleError, match=r'refs\(unc\).p: it names'):
        load_refs(str(evil))
    annotations = tmp_path / 'train.pkl'
    annotations.write_bytes(evil.read_bytes())
    with pytest.raises(UnsafePickleError, match='train.pkl'):
        load_data_file(str(annotations))
    with pytest.raises(ValueError, match='not a readable pickle'):
        restricted_loads(b'\x80\x02garbage', 'broken.p')

    sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / 'tools' / 'dataset_converters'))
    try:
        import check_refer
    finally:
        sys.path.pop(0)
    (tmp_path / 'refcoco').mkdir()
    (tmp_path / 'refcoco' / 'instances.json').write_text(
        json.dumps(dict(images=[], annotations=[], categories=[]))
    )
    (tmp_path / 'refcoco' / 'refs(unc).p').write_bytes(evil.read_bytes())
    assert check_refer.main([str(tmp_path)]) == 2
    assert 'Refusing to unpickle' in capsys.readouterr().out
    assert not marker.exists()
