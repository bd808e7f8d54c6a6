"""Checkpoint files that survive a crash and load with ``weights_only=True``.

refseg reads every checkpoint with ``torch.load(weights_only=True)``: the files a run writes
itself as well as ``load_from``, pretrained and released weights, so a checkpoint can never
run code when it is opened. Runner checkpoints are made readable that way when they are
*saved* (:func:`to_weights_only` turns the message hub's ``HistoryBuffer`` and numpy values
into tensors and plain Python), instead of widening the unpickler's allow-list when they are
loaded. Files are written atomically (:func:`atomic_write`), so a run killed while saving
keeps its previous checkpoint intact. docs/training.md gives the reasons.
"""
import contextlib
import os
import os.path as osp
import pickle
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
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
_PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes, bytearray,
                torch.Size, torch.device, torch.dtype)
_SEQUENCE_TYPES = (list, tuple, set)


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a hidden partial file in the same folder, are flushed to disk, and the
    partial file is then renamed over ``path`` (``os.replace`` is atomic on one file system).
    A process killed on the way leaves at most a ``.<name>.<id>.partial`` file behind, which
    :func:`remove_partial_files` clears.

    Args:
        path (str): Destination file.
        data (bytes): Full contents of the file.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = osp.join(
        folder, f'.{osp.basename(path)}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}')
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
    """Delete the partial files that killed writers left in ``folder``.

    Args:
        folder (str): Folder to clean; a missing folder is fine.

    Returns:
        list[str]: Paths of the removed files.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for name in os.listdir(folder):
        if name.startswith('.') and name.endswith(PARTIAL_SUFFIX):
            path = osp.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed.append(path)
    return removed


class AtomicLocalBackend(LocalBackend):
    """Local file backend whose ``put`` and ``put_text`` are atomic (:func:`atomic_write`).

    Registered as ``'refseg_atomic_local'``; select it with
    ``backend_args=dict(backend='refseg_atomic_local')``.
    """

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        """Write bytes to ``filepath`` atomically."""
        atomic_write(str(filepath), obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write(str(filepath), obj.encode(encoding))


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
            'count_history': to_weights_only(count_history,
                                             f'{where}.count_history'),
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
        'or do not mark its message-hub key as resumed.')


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
                max_length=value['max_length'])
        raise ValueError(f'{where} is tagged {TYPE_TAG}={kind!r}; expected '
                         "'ndarray' or 'HistoryBuffer'.")
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
            'torch.load(weights_only=True); store numbers only.') from error


def _convert_mapping(mapping: Mapping, where: str,
                     convert: Callable[[Any, str], Any]) -> Mapping:
    converted = {key: convert(item, f'{where}.{key}')
                 for key, item in mapping.items()}
    same_type = type(mapping) in (dict, OrderedDict)
    if same_type and all(converted[key] is mapping[key] for key in mapping):
        return mapping
    return OrderedDict(converted) if type(mapping) is OrderedDict else converted


def _convert_sequence(sequence: Union[list, tuple, set], where: str,
                      convert: Callable[[Any, str], Any]):
    items = list(sequence)
    converted = [convert(item, f'{where}[{index}]')
                 for index, item in enumerate(items)]
    if all(new is old for new, old in zip(converted, items)):
        return sequence
    return type(sequence)(converted)


def load_from_local_weights_only(
        filename: str, map_location: Optional[Union[str, Callable]] = None):
    """Load a local checkpoint with ``torch.load(weights_only=True)``.

    Registered as MMEngine's loader for local paths, so ``load_from``, ``init_cfg``
    pretrained weights and ``--resume`` all go through it. Unlike a bare ``torch.load`` it
    does not depend on the torch version's default, and its errors name the file.

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
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(
            f'Refusing to load {filename}: refseg loads checkpoints with '
            'torch.load(weights_only=True) and this file holds Python objects '
            'that could run code when unpickled. Checkpoints written by '
            "refseg's AtomicCheckpointHook and plain state dicts load fine; a "
            'trusted file can be converted once with torch.load(..., '
            'weights_only=False) followed by torch.save of its tensors. '
            f'torch said: {error}') from error
    except (RuntimeError, EOFError) as error:
        raise RuntimeError(
            f'Cannot read checkpoint {filename} (truncated or not a torch '
            f'checkpoint?): {error}') from error


CheckpointLoader.register_scheme(prefixes='', force=True)(
    load_from_local_weights_only)
