from . import partimagenet  # noqa: F401  (imported for its registrations)
from .partimagenet_synthetic import generate_partimagenet  # noqa: F401
from .image_text_pairs import ImageTextPairDataset
from .refcoco import RefCOCODataset
from refseg.synthetic import ensure_synthetic_refer, generate_synthetic_refer
from .synthetic import SyntheticRefDataset
from .transforms import CropToBox, LetterBox, LoadRefMask, PackRefSegInputs, RandomTextFlip

__all__ = [
    'ImageTextPairDataset', 'CropToBox', 'RefCOCODataset', 'SyntheticRefDataset',
    'generate_synthetic_refer',
    'ensure_synthetic_refer', 'LoadRefMask', 'LetterBox', 'RandomTextFlip',
    'PackRefSegInputs'
]
