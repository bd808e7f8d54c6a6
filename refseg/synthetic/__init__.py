"""A synthetic world of coloured shapes whose referring expressions need language.

``scene`` samples objects, ``expressions`` gives expressions their meaning, ``phrasing``
words them, ``referents`` picks referents and sentences, ``captions`` writes image-text
pairs, ``drawing`` rasterises, ``writers`` and ``generate`` write the files.
"""

from .generate import (
    DEFAULT_IMAGE_SIZE,
    DEFAULT_NUM_IMAGES,
    DEFAULT_SPLITS,
    GENERATOR_VERSION,
    ensure_synthetic_refer,
    generate_synthetic_refer,
)
from .world import COLOURS, SHAPES, SIZES

__all__ = [
    'generate_synthetic_refer',
    'ensure_synthetic_refer',
    'DEFAULT_SPLITS',
    'DEFAULT_NUM_IMAGES',
    'DEFAULT_IMAGE_SIZE',
    'GENERATOR_VERSION',
    'SHAPES',
    'COLOURS',
    'SIZES',
]
