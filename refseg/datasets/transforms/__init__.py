from .formatting import PackRefSegInputs
from .letterbox import LetterBox
from .loading import LoadRefMask
from .text_flip import RandomTextFlip

__all__ = ['LoadRefMask', 'LetterBox', 'RandomTextFlip', 'PackRefSegInputs']
