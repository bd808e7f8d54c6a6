from refseg.synthetic import ensure_synthetic_refer, generate_synthetic_refer

from . import partimagenet  # noqa: F401  (imported for its registrations)
from .grefcoco import GRefCOCODataset, SyntheticGRefDataset
from .image_text_pairs import ImageTextPairDataset
from .refcoco import RefCOCODataset
from .synthetic import SyntheticRefDataset
from .transforms import CropToBox, LetterBox, LoadRefMask, PackRefSegInputs, RandomTextFlip

__all__ = [
    'RefCOCODataset',
    'SyntheticRefDataset',
    'GRefCOCODataset',
    'SyntheticGRefDataset',
    'ImageTextPairDataset',
    'generate_synthetic_refer',
    'ensure_synthetic_refer',
    'CropToBox',
    'LoadRefMask',
    'LetterBox',
    'RandomTextFlip',
    'PackRefSegInputs',
]
