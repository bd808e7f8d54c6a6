"""Reading pickles from outside without running their code.

A pickle names the functions that rebuild its objects, so unpickling an untrusted file can
run anything. refseg reads such files with unpicklers that resolve only an explicit
allow-list of names and refuse every other one, naming the file:

* :func:`restricted_loads` / :func:`load_data_file`: dataset pickles (REFER's
  ``refs(<split_by>).p``, ``.pkl`` annotation files), which hold only builtin containers
  and scalars;
* :func:`read_torchscript_weights`: the tensors of a TorchScript archive (OpenAI's CLIP
  ``.pt`` files) read from the archive's ``data.pkl`` without ``torch.jit.load``, which
  would run the archive's ``__setstate__`` code.
"""

import io
import pickle
import re
import zipfile
from typing import Any, Dict, Optional, Set

import torch
from mmengine.fileio import get, load

#: Globals a dataset pickle may name (the rest are opcodes for builtin values).
DATA_GLOBALS = {
    ('builtins', 'set'),
    ('builtins', 'frozenset'),
    ('builtins', 'complex'),
    ('builtins', 'bytearray'),
    ('collections', 'OrderedDict'),
}
PICKLE_SUFFIXES = ('.p', '.pkl', '.pickle')


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names a global outside the allow-list; nothing of it was run."""


class _DataUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        module = 'builtins' if module == '__builtin__' else module
        if (module, name) in DATA_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickleError(
            f'Refusing to unpickle {self.source}: it names {module}.{name}, but a dataset '
            'pickle may hold only builtin containers and scalars (lists, dicts, tuples, '
            'sets, strings, numbers); an object that needs other code to be rebuilt could '
            'run anything. Convert the file to JSON with a trusted script if it is yours.'
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(
            f'Refusing to unpickle {self.source}: it holds a persistent '
            'reference, which dataset pickles do not use.'
        )


def restricted_loads(data: bytes, source: str, encoding: str = 'latin1') -> Any:
    """Unpickle ``data`` allowing only builtin containers and scalars.

    Args:
        data (bytes): The pickle.
        source (str): Name of the file, for error messages.
        encoding (str): How Python-2 byte strings are decoded (REFER's files are Python-2
            pickles). Defaults to 'latin1'.

    Returns:
        The unpickled value.

    Raises:
        UnsafePickleError: If the pickle names any other global; nothing was run.
        ValueError: If ``data`` is not a readable pickle.
    """
    try:
        return _DataUnpickler(io.BytesIO(data), source, encoding=encoding).load()
    except UnsafePickleError:
        raise
    except Exception as error:
        raise ValueError(f'{source} is not a readable pickle: {error!r}') from error


def load_data_file(path: str, **kwargs) -> Any:
    """``mmengine.fileio.load`` for annotation files, with pickles read restricted.

    JSON and YAML go through mmengine; ``.p``/``.pkl``/``.pickle`` files through
    :func:`restricted_loads` instead of mmengine's full unpickling.
    """
    if str(path).endswith(PICKLE_SUFFIXES):
        return restricted_loads(get(path, **kwargs), str(path))
    return load(path, **kwargs)


# --------------------------------------------------------------------------
# TorchScript archives
# --------------------------------------------------------------------------
_STORAGE_DTYPES = {
    f'{name}Storage': dtype
    for name, dtype in dict(
        Double=torch.float64,
        Float=torch.float32,
        Half=torch.float16,
        BFloat16=torch.bfloat16,
        Long=torch.int64,
        Int=torch.int32,
        Short=torch.int16,
        Char=torch.int8,
        Byte=torch.uint8,
        Bool=torch.bool,
    ).items()
}
_TENSOR_GLOBALS = {
    ('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
    ('torch._utils', '_rebuild_parameter'): torch._utils._rebuild_parameter,
    ('collections', 'OrderedDict'): dict,
}
# class Name(Module):\n  __parameters__ = ["a", ]\n  __buffers__ = ["b", ]
_CLASS_HEADER = re.compile(
    r'^class (\w+)\(Module\):\n  __parameters__ = \[([^\]]*)\]\n  __buffers__ = \[([^\]]*)\]',
    re.MULTILINE,
)


class ScriptObjectState:
    """Stands for a TorchScript object: keeps its attributes, runs none of its code."""

    qualname = ''

    def __setstate__(self, state: Any) -> None:
        self.__dict__['_state'] = state if isinstance(state, dict) else {}


class _TorchScriptUnpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, source: str) -> None:
        super().__init__(file)
        self.archive, self.prefix, self.source = archive, prefix, source
        self.classes: Dict[str, type] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _TENSOR_GLOBALS:
            return _TENSOR_GLOBALS[module, name]
        if module == 'torch' and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if module == '__torch__' or module.startswith('__torch__.'):
            qualname = f'{module}.{name}'
            if qualname not in self.classes:
                self.classes[qualname] = type(name, (ScriptObjectState,), dict(qualname=qualname))
            return self.classes[qualname]
        raise UnsafePickleError(
            f'Refusing to read {self.source}: its data.pkl names {module}.{name}; only '
            'tensors, storages and TorchScript module attributes are read from a '
            'TorchScript archive (nothing in it is run).'
        )

    def persistent_load(self, pid: Any) -> Any:
        if not (
            isinstance(pid, tuple)
            and len(pid) == 5
            and pid[0] == 'storage'
            and isinstance(pid[1], torch.dtype)
        ):
            raise UnsafePickleError(
                f'{self.source}: unexpected persistent id {pid!r} in '
                'data.pkl; expected tensor storages'
            )
        _, dtype, key, _, numel = pid
        data = bytearray(self.archive.read(f'{self.prefix}data/{key}'))
        storage = (
            torch.UntypedStorage.from_buffer(data, dtype=torch.uint8)
            if data
            else torch.UntypedStorage(0)
        )
        if len(storage) != numel * dtype.itemsize:
            raise ValueError(
                f'{self.source}: storage {key} holds {len(storage)} bytes, '
                f'expected {numel} {dtype} values'
            )
        return torch.storage.TypedStorage(wrap_storage=storage, dtype=dtype, _internal=True)


def is_torchscript_archive(path: str) -> bool:
    """Whether ``path`` is a zip with a TorchScript ``constants.pkl``."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith('/constants.pkl') for name in archive.namelist())


def read_torchscript_weights(path: str) -> Dict[str, torch.Tensor]:
    """The parameters and buffers of a TorchScript archive, as ``state_dict()`` names them.

    The archive's ``data.pkl`` is unpickled with an allow-list of tensor storages and
    tensor rebuild functions; module objects become inert :class:`ScriptObjectState` s,
    and which of their tensor attributes are parameters or buffers is read from the
    ``__parameters__``/``__buffers__`` lines of the archive's code as text (never run).

    Args:
        path (str): The archive (e.g. OpenAI's ``RN50.pt``).

    Returns:
        dict[str, Tensor]: Dotted names to CPU tensors.

    Raises:
        UnsafePickleError: If ``data.pkl`` names anything else.
        ValueError: If the file is not a TorchScript archive.
    """
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith('/data.pkl') and name.count('/') == 1]
        if len(pickles) != 1:
            raise ValueError(f'{path} is not a TorchScript archive (no top-level data.pkl)')
        prefix = pickles[0][: -len('data.pkl')]
        members = _module_members(archive, prefix)
        unpickler = _TorchScriptUnpickler(
            io.BytesIO(archive.read(pickles[0])), archive, prefix, str(path)
        )
        try:
            root = unpickler.load()
        except (UnsafePickleError, ValueError):
            raise
        except Exception as error:
            raise ValueError(f'cannot read the tensors of {path}: {error!r}') from error
    weights: Dict[str, torch.Tensor] = {}
    _collect_tensors(root, '', members, weights)
    return weights


def _module_members(archive: zipfile.ZipFile, prefix: str) -> Dict[str, Set[str]]:
    """Qualified class name -> its parameter and buffer names, from the code files."""
    members = {}
    code = f'{prefix}code/'
    for name in archive.namelist():
        if not (name.startswith(code) and name.endswith('.py')):
            continue
        module = name[len(code) : -len('.py')].replace('/', '.')
        text = archive.read(name).decode('utf-8', errors='replace')
        for match in _CLASS_HEADER.finditer(text):
            listed = re.findall(r'"([^"]+)"', match[2] + match[3])
            members[f'{module}.{match[1]}'] = set(listed)
    return members


def _collect_tensors(
    obj: ScriptObjectState, prefix: str, members: Dict[str, Set[str]], out: Dict[str, torch.Tensor]
) -> None:
    state = obj.__dict__.get('_state', {})
    kept: Optional[Set[str]] = members.get(obj.qualname)
    for name, value in state.items():
        if isinstance(value, ScriptObjectState):
            _collect_tensors(value, f'{prefix}{name}.', members, out)
        elif isinstance(value, torch.Tensor) and (kept is None or name in kept):
            out[prefix + name] = value.detach()
