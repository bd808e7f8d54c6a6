"""Image and text encoders."""

from .clip import CLIPPretrained, CLIPResNet, CLIPTextTransformer, CLIPVisionTransformer

__all__ = ['CLIPResNet', 'CLIPVisionTransformer', 'CLIPTextTransformer', 'CLIPPretrained']
