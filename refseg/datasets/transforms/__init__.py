from .crop_to_box import CropToBox
from .formatting import PackRefSegInputs
from .letterbox import LetterBox
from .loading import LoadRefMask
from .text_flip import RandomTextFlip

__all__ = ['CropToBox', 'LoadRefMask', 'LetterBox', 'RandomTextFlip', 'PackRefSegInputs']
