"""Fixtures shared by the whole test suite."""

import os

# Tests run tiny models whose ops are far too small for two OpenMP threads to pay off; with
# other load on a 2-core machine, two threads per process made the suite several times
# slower. Subprocesses started by tests inherit the variable.
os.environ.setdefault('OMP_NUM_THREADS', '1')

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))

from refseg.synthetic import generate_synthetic_refer  # noqa: E402

SYNTHETIC_ARGS = dict(
    num_images=12,
    image_size=(64, 80),
    seed=0,
    progress=False,
    splits=dict(train=6, val=1, testA=1, testB=1),
)


@pytest.fixture(scope='session')
def synthetic_refcoco_root(tmp_path_factory) -> str:
    """A tiny synthetic dataset in the REFER layout; returns its root.

    Layout: ROOT/train2014/*.jpg, ROOT/refcoco/instances.json, ROOT/refcoco/refs(unc).p, with
    12 images of 64x80 split train/val/testA/testB (8/2/1/1 images). Treat it as read-only.
    """
    root = tmp_path_factory.mktemp('synthetic_refcoco')
    generate_synthetic_refer(str(root), **SYNTHETIC_ARGS)
    return str(root)


@pytest.fixture(autouse=True)
def restore_default_scope():
    """Undo the default scope a test sets (a Runner or init_default_scope make theirs the
    current one for the whole process), so that registry lookups of later tests do not
    depend on the order tests run in."""
    from mmengine.registry import DefaultScope

    instances = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(instances)
