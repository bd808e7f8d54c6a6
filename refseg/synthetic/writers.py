"""Files of a generated world: atomic writes, the marker, locking, clearing old data."""

import contextlib
import json
import os
import os.path as osp
import pickle
import shutil
from typing import Any, Iterator, Optional

try:
    import fcntl
except ImportError:  # Windows: no file lock, rank 0 still generates alone
    fcntl = None

MARKER = 'synthetic_refer.json'
IMG_DIR = 'train2014'
ANN_DIR = 'refcoco'
INSTANCES = 'instances.json'
REFS = 'refs(unc).p'
GREFS = 'grefs(unc).json'
PAIRS = 'pairs_{split}.json'


def _atomic(path: str, data: bytes) -> None:
    """Write through a temporary file and a rename, so readers never see half a file."""
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def write_json(path: str, obj: Any) -> None:
    _atomic(path, json.dumps(obj).encode())


def write_pickle(path: str, obj: Any) -> None:
    """Protocol 2, as the released REFER pickles."""
    _atomic(path, pickle.dumps(obj, protocol=2))


def write_bytes(path: str, data: bytes) -> None:
    _atomic(path, data)


def read_marker(out_root: str) -> Optional[dict]:
    path = osp.join(out_root, MARKER)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def clear_previous(out_root: str) -> None:
    """Remove an earlier generated world, refusing to touch folders refseg did not write."""
    existing = [name for name in (IMG_DIR, ANN_DIR) if osp.exists(osp.join(out_root, name))]
    if existing and read_marker(out_root) is None:
        raise FileExistsError(
            f'{out_root} already holds {existing} but no {MARKER}: it was not written by '
            'the synthetic generator, so it is left untouched. Choose another folder.'
        )
    for name in existing:
        shutil.rmtree(osp.join(out_root, name))
    for name in os.listdir(out_root) if osp.isdir(out_root) else []:
        if name.startswith('pairs_') and name.endswith('.json'):
            os.remove(osp.join(out_root, name))


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """Exclusive lock between processes on one machine (a no-op without fcntl)."""
    if fcntl is None:
        yield
        return
    with open(path, 'w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
