"""A small synthetic world at the default image size, shared by the tests of this folder."""

import pytest

from refseg.synthetic import generate_synthetic_refer


@pytest.fixture(scope='session')
def world_root(tmp_path_factory) -> str:
    """60 images of 192x256 (train/val 2:1); treat as read-only."""
    root = str(tmp_path_factory.mktemp('synthetic_world'))
    generate_synthetic_refer(
        root, num_images=60, seed=3, splits={'train': 2, 'val': 1}, progress=False
    )
    return root
