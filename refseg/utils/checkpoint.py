"""Checkpoint files that survive a crash and load with ``weights_only=True``.

refseg reads every checkpoint with ``torch.load(weights_only=True)``: the files a run writes
itself as well as ``load_from``, pretrained and released weights, so a checkpoint can never
run code when it is opened. Runner checkpoints are made readable that way when they are
*saved* (:func:`to_weights_only` turns the message hub's ``HistoryBuffer`` and numpy values
into tensors and plain Python), instead of widening the unpickler's allow-list when they are
loaded. Files are written atomically (:func:`atomic_write`), so a run killed while saving
keeps its previous checkpoint intact. docs/training.md gives the reasons.

Nothing here changes MMEngine when imported. :func:`weights_only_checkpoint_loading` routes
every checkpoint scheme MMEngine knows (local paths, ``http(s)://``, ``open-mmlab://``,
``s3://``, ``pavi://``, ...) through :func:`load_from_weights_only` while it is active;
``tools/train.py``, ``tools/test.py`` and ``AtomicCheckpointHook`` (from ``before_run`` to
``after_run``) switch it on explicitly.
"""

import contextlib
import io
import os
import os.path as osp
import pickle
import re
import tempfile
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Callable, Iterator, List, Optional, Union
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.fileio import LocalBackend, get_file_backend, register_backend
from mmengine.fileio.backends import backends as registered_backends
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

#: Name of the file backend that writes local files atomically.
ATOMIC_BACKEND = 'refseg_atomic_local'
#: Suffix of the hidden files that hold bytes not yet moved into place.
PARTIAL_SUFFIX = '.partial'
#: Key that marks a dict standing for a value weights-only loading cannot read.
TYPE_TAG = '__refseg_type__'

# Types torch's weights-only unpickler rebuilds by itself (exact types: a subclass such
# as an IntEnum or np.float64 is pickled by its own class, which the unpickler refuses).
_PLAIN_TYPES = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    bytearray,
    torch.Size,
    torch.device,
    torch.dtype,
)
_SEQUENCE_TYPES = (list, tuple, set)


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a hidden partial file in the same folder, are flushed to disk, and the
    partial file is then renamed over ``path`` (``os.replace`` is atomic on one file system).
    A process killed on the way leaves at most a ``.<name>.<pid>-<id>.partial`` file behind,
    which :func:`remove_partial_files` clears.

    Args:
        path (str): Destination file.
        data (bytes): Full contents of the file.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # The writer's pid in the name lets a later run tell a dead writer's file from a
    # live one's (remove_partial_files).
    partial = osp.join(
        folder, f'.{osp.basename(path)}.{os.getpid()}-{uuid.uuid4().hex}{PARTIAL_SUFFIX}'
    )
    # os.open with 0o666 lets the umask set the mode, as a plain open() would.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    # Makes the rename itself durable; some file systems refuse fsync on a folder.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_partial_files(folder: str) -> List[str]:
    """Delete the partial files that dead writers left in ``folder``.

    A partial file whose name carries the pid of a live process other than this one is
    still being written and is kept.

    Args:
        folder (str): Folder to clean; a missing folder is fine.

    Returns:
        list[str]: Paths of the removed files.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for name in os.listdir(folder):
        if (
            name.startswith('.')
            and name.endswith(PARTIAL_SUFFIX)
            and not _written_by_other_live_process(name)
        ):
            path = osp.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed.append(path)
    return removed


def _written_by_other_live_process(partial_name: str) -> bool:
    match = re.search(r'\.(\d+)-[0-9a-f]+\.partial$', partial_name)
    if match is None:
        return False  # an older name without a pid: left by a dead run
    pid = int(match[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class AtomicLocalBackend(LocalBackend):
    """Local file backend whose ``put`` and ``put_text`` are atomic (:func:`atomic_write`).

    Registered as ``'refseg_atomic_local'`` by :func:`register_atomic_backend` (which
    ``AtomicCheckpointHook`` calls); select it with
    ``backend_args=dict(backend='refseg_atomic_local')``.
    """

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        """Write bytes to ``filepath`` atomically."""
        atomic_write(str(filepath), obj)

    def put_text(
        self, obj: str, filepath: Union[str, os.PathLike], encoding: str = 'utf-8'
    ) -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write(str(filepath), obj.encode(encoding))


def register_atomic_backend() -> None:
    """Add ``'refseg_atomic_local'`` to MMEngine's file backends (once; no other changes)."""
    if registered_backends.get(ATOMIC_BACKEND) is not AtomicLocalBackend:
        register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)


def to_weights_only(value: Any, where: str = 'checkpoint') -> Any:
    """Return ``value`` in a form ``torch.load(weights_only=True)`` can read back.

    ``HistoryBuffer`` and ``np.ndarray`` become dicts tagged with ``TYPE_TAG`` (their arrays
    as tensors), which :func:`from_weights_only` turns back. numpy scalars become Python
    numbers, mappings other than ``dict``/``OrderedDict`` (e.g. ``ConfigDict``) plain dicts.
    Containers whose contents need no change are returned as the same object, so a model
    ``state_dict`` keeps its ``_metadata``.

    Args:
        value: A checkpoint dict or any part of one.
        where (str): Name of ``value`` used in error messages.

    Returns:
        The converted value.

    Raises:
        TypeError: If ``value`` holds an object that is neither a tensor, a plain Python
            value, a numpy value, a ``HistoryBuffer`` nor a container of these; the message
            names its place in the checkpoint.
    """
    if isinstance(value, torch.Tensor) or type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, HistoryBuffer):
        log_history, count_history = value.data
        return {
            TYPE_TAG: 'HistoryBuffer',
            'log_history': to_weights_only(log_history, f'{where}.log_history'),
            'count_history': to_weights_only(count_history, f'{where}.count_history'),
            'max_length': value.max_length,
        }
    if isinstance(value, np.ndarray):
        return {TYPE_TAG: 'ndarray', 'data': _array_to_tensor(value, where)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return _convert_mapping(value, where, to_weights_only)
    if type(value) in _SEQUENCE_TYPES:
        return _convert_sequence(value, where, to_weights_only)
    raise TypeError(
        f'{where} holds a {type(value).__module__}.{type(value).__qualname__}, '
        'which torch.load(weights_only=True) cannot read back. Checkpoints may hold '
        'tensors, numbers, strings, numpy arrays, HistoryBuffers and '
        'dicts/lists/tuples/sets of these; store other state in one of these forms '
        'or do not mark its message-hub key as resumed.'
    )


def from_weights_only(value: Any, where: str = 'checkpoint') -> Any:
    """Undo :func:`to_weights_only`: rebuild the tagged ``HistoryBuffer``/ndarray values.

    Args:
        value: A loaded checkpoint dict or any part of one.
        where (str): Name of ``value`` used in error messages.

    Returns:
        The value with tagged dicts replaced; untouched containers are returned as is.

    Raises:
        ValueError: If a tagged dict names an unknown type.
    """
    if isinstance(value, Mapping) and TYPE_TAG in value:
        kind = value[TYPE_TAG]
        if kind == 'ndarray':
            return value['data'].numpy()
        if kind == 'HistoryBuffer':
            return HistoryBuffer(
                log_history=from_weights_only(value['log_history']),
                count_history=from_weights_only(value['count_history']),
                max_length=value['max_length'],
            )
        raise ValueError(
            f"{where} is tagged {TYPE_TAG}={kind!r}; expected 'ndarray' or 'HistoryBuffer'."
        )
    if type(value) in (dict, OrderedDict):
        return _convert_mapping(value, where, from_weights_only)
    if type(value) in (list, tuple):
        return _convert_sequence(value, where, from_weights_only)
    return value


def _array_to_tensor(array: np.ndarray, where: str) -> torch.Tensor:
    try:
        return torch.from_numpy(np.ascontiguousarray(array))
    except TypeError as error:
        raise TypeError(
            f'{where} is a numpy array of dtype {array.dtype}, which has no '
            'tensor dtype, so the checkpoint could not be read with '
            'torch.load(weights_only=True); store numbers only.'
        ) from error


def _convert_mapping(mapping: Mapping, where: str, convert: Callable[[Any, str], Any]) -> Mapping:
    converted = {key: convert(item, f'{where}.{key}') for key, item in mapping.items()}
    same_type = type(mapping) in (dict, OrderedDict)
    if same_type and all(converted[key] is mapping[key] for key in mapping):
        return mapping
    return OrderedDict(converted) if type(mapping) is OrderedDict else converted


def _convert_sequence(
    sequence: Union[list, tuple, set], where: str, convert: Callable[[Any, str], Any]
):
    items = list(sequence)
    converted = [convert(item, f'{where}[{index}]') for index, item in enumerate(items)]
    if all(new is old for new, old in zip(converted, items)):
        return sequence
    return type(sequence)(converted)


def load_from_local_weights_only(
    filename: str, map_location: Optional[Union[str, Callable]] = None
):
    """Load a local checkpoint with ``torch.load(weights_only=True)``.

    Unlike a bare ``torch.load`` it does not depend on the torch version's default (nor on
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``, which cannot override an explicit
    ``weights_only=True``), and its errors name the file.

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | callable, optional): As for ``torch.load``.

    Returns:
        The loaded object (a dict for every checkpoint refseg writes).

    Raises:
        FileNotFoundError: If the file does not exist.
        pickle.UnpicklingError: If the file holds Python objects that weights-only loading
            refuses (an untrusted file, or a checkpoint saved without refseg's
            ``AtomicCheckpointHook``).
        RuntimeError: If the file is not a readable torch checkpoint (e.g. truncated).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist.')
    with open(filename, 'rb') as file:
        return _torch_load_weights_only(file, filename, map_location)


def _torch_load_weights_only(file, name: str, map_location):
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(
            f'Refusing to load {name}: refseg loads checkpoints with '
            'torch.load(weights_only=True) and this file holds Python objects '
            'that could run code when unpickled. Checkpoints written by '
            "refseg's AtomicCheckpointHook and plain state dicts load fine; a "
            'trusted file can be converted once with torch.load(..., '
            'weights_only=False) followed by torch.save of its tensors. '
            f'torch said: {error}'
        ) from error
    except (RuntimeError, EOFError) as error:
        raise RuntimeError(
            f'Cannot read checkpoint {name} (truncated or not a torch checkpoint?): {error}'
        ) from error


def download_checkpoint(url: str, model_dir: Optional[str] = None) -> str:
    """Download ``url`` into the torch hub cache (once) and return the local path.

    The file is fetched by the main process first (the others wait at a barrier) and
    written under a temporary name that is renamed into place when complete.

    Args:
        url (str): An ``http://`` or ``https://`` address.
        model_dir (str, optional): Cache folder. Defaults to
            ``<torch.hub.get_dir()>/checkpoints`` (``$TORCH_HOME/hub/checkpoints``).

    Returns:
        str: Path of the cached file.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    name = osp.basename(urlparse(url).path)
    if not name:
        raise ValueError(f'Checkpoint URL {url} does not end with a file name.')
    path = osp.join(model_dir, name)
    rank, world_size = get_dist_info()
    if rank == 0:
        _download_once(url, path)
    if world_size > 1:
        barrier()
        _download_once(url, path)
    return path


def _download_once(url: str, path: str) -> None:
    if osp.isfile(path):
        return
    os.makedirs(osp.dirname(path), exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, path, progress=False)
    except Exception as error:
        raise RuntimeError(f'Cannot download checkpoint {url}: {error}') from error


def _resolve_model_zoo(filename: str) -> str:
    """``open-mmlab://``, ``torchvision://``, ``mmcls://`` names -> URL or local path."""
    from mmengine.runner.checkpoint import (
        _get_mmengine_home,
        get_deprecated_model_names,
        get_external_models,
        get_mmcls_models,
        get_torchvision_models,
    )

    scheme, name = filename.split('://', 1)
    if scheme in ('open-mmlab', 'openmmlab'):
        models = get_external_models()
        name = get_deprecated_model_names().get(name, name)
    elif scheme in ('torchvision', 'modelzoo'):
        models = get_torchvision_models()
    else:
        models = get_mmcls_models()
    if name not in models:
        raise KeyError(f'{filename}: {name!r} is not a model that MMEngine knows for {scheme}://.')
    target = models[name]
    if target.startswith(('http://', 'https://')):
        return target
    return osp.join(_get_mmengine_home(), target)


ZOO_SCHEMES = ('open-mmlab://', 'openmmlab://', 'torchvision://', 'modelzoo://', 'mmcls://')


def load_from_weights_only(filename: str, map_location: Optional[Union[str, Callable]] = None):
    """Load a checkpoint from any scheme MMEngine knows, always weights-only.

    * local paths: :func:`load_from_local_weights_only`;
    * ``http(s)://``: downloaded to the torch hub cache (:func:`download_checkpoint`),
      then loaded like a local file;
    * ``open-mmlab://``, ``torchvision://``, ``mmcls://``: resolved to their URL or file
      as MMEngine does, then as above;
    * ``pavi://``: downloaded with ``pavi.modelcloud`` to a temporary folder, then local;
    * any other ``scheme://`` (``s3://``, ``open-mmlab:s3://``, ...): the bytes are read
      through MMEngine's file backend for that path (``petrel`` for ``s3://``) and loaded
      from memory with ``torch.load(weights_only=True)``.

    Args:
        filename (str): The path or URL.
        map_location (str | callable, optional): As for ``torch.load``.

    Returns:
        The loaded object.
    """
    if filename.startswith(('http://', 'https://')):
        return load_from_local_weights_only(download_checkpoint(filename), map_location)
    if filename.startswith(ZOO_SCHEMES):
        return load_from_weights_only(_resolve_model_zoo(filename), map_location)
    if filename.startswith('pavi://'):
        return _load_from_pavi(filename, map_location)
    if re.match(r'^[\w.+-]+(:[\w.+-]+)?://', filename):
        backend_args = dict(backend='petrel') if re.match(r'^(\S+:)?s3://', filename) else None
        data = get_file_backend(filename, backend_args=backend_args).get(filename)
        return _torch_load_weights_only(io.BytesIO(data), filename, map_location)
    return load_from_local_weights_only(filename, map_location)


def _load_from_pavi(filename: str, map_location):
    try:
        from pavi import modelcloud
    except ImportError as error:
        raise ImportError(f'{filename}: pavi:// checkpoints need the pavi package.') from error
    model = modelcloud.get(filename[len('pavi://') :])
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, model.name)
        model.download(path)
        return load_from_local_weights_only(path, map_location)


@contextlib.contextmanager
def weights_only_checkpoint_loading() -> Iterator[None]:
    """Route every ``CheckpointLoader`` scheme through :func:`load_from_weights_only`.

    While active, ``load_from``, ``--resume``, ``init_cfg=dict(type='Pretrained')`` and
    ``mmengine.runner.load_checkpoint`` read every path and URL weights-only. MMEngine's
    loaders are put back on exit. This relies on ``CheckpointLoader._schemes`` (a dict
    of prefix -> loader, matched as regexes; ``''`` matches every path), checked by
    tests/test_utils/test_safe_loading.py.
    """
    token = install_weights_only_loader()
    try:
        yield
    finally:
        restore_checkpoint_loaders(token)


def install_weights_only_loader() -> dict:
    """Make :func:`load_from_weights_only` the only ``CheckpointLoader`` scheme.

    Returns:
        dict: The previous schemes, for :func:`restore_checkpoint_loaders`.
    """
    previous = CheckpointLoader._schemes
    CheckpointLoader._schemes = OrderedDict([('', load_from_weights_only)])
    return previous


def restore_checkpoint_loaders(previous: dict) -> None:
    """Put back the schemes :func:`install_weights_only_loader` replaced."""
    CheckpointLoader._schemes = previous


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete ``epoch_N.pth``/``iter_N.pth`` in ``work_dir`` to resume from.

    A run killed after writing a checkpoint but before updating ``last_checkpoint``
    leaves a newer complete file than the pointer names; checkpoints are written
    atomically, so every ``epoch_N.pth``/``iter_N.pth`` present is complete. The pointer's
    file is a candidate too (it may live in another ``out_dir``). Candidates are tried
    newest first; one that cannot be read (e.g. a truncated file from an older, non-atomic
    writer) is skipped with a warning.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The checkpoint path, or None when there is none.
    """
    candidates = {}
    pattern = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            match = pattern.match(name)
            if match is not None:
                candidates[osp.join(work_dir, name)] = int(match[2])
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as file:
            named = file.read().strip()
        match = pattern.match(osp.basename(named))
        if named and match is not None and osp.isfile(named):
            candidates.setdefault(named, int(match[2]))
    for path in sorted(candidates, key=lambda p: candidates[p], reverse=True):
        try:
            checkpoint = load_from_local_weights_only(path, map_location='cpu')
        except (RuntimeError, pickle.UnpicklingError, OSError) as error:
            warnings.warn(f'Not resuming from {path}: {error}')
            continue
        if isinstance(checkpoint, dict) and 'meta' in checkpoint:
            return path
        warnings.warn(f'Not resuming from {path}: it is not a training checkpoint.')
    return None
