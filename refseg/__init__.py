"""refseg: referring image segmentation on MMSegmentation 1.x.

Importing this package stays cheap: nothing from torch models or mmseg is imported here.
Components are registered lazily through :mod:`refseg.registry`.
"""
from .version import __version__

__all__ = ['__version__']
