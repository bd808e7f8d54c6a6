"""CLIP image and text towers and their weight loading."""

from .layers import (
    CLIPAttention,
    CLIPResidualBlock,
    CLIPTower,
    CLIPTransformer,
    QuickGELU,
    merge_attention_masks,
    resize_pos_embed,
)
from .resnet import CLIPAttentionPool2d, CLIPBottleneck, CLIPResNet
from .text_transformer import CLIPTextTransformer
from .vit import CLIPVisionTransformer
from .weights import (
    CLIPPretrained,
    clip_to_refseg_state_dict,
    convert_hf_clip_state_dict,
    infer_clip_config,
    load_clip_state_dict,
    split_clip_state_dict,
)

__all__ = [
    'QuickGELU',
    'CLIPAttention',
    'CLIPResidualBlock',
    'CLIPTransformer',
    'CLIPTower',
    'merge_attention_masks',
    'resize_pos_embed',
    'CLIPBottleneck',
    'CLIPAttentionPool2d',
    'CLIPResNet',
    'CLIPVisionTransformer',
    'CLIPTextTransformer',
    'CLIPPretrained',
    'load_clip_state_dict',
    'convert_hf_clip_state_dict',
    'split_clip_state_dict',
    'infer_clip_config',
    'clip_to_refseg_state_dict',
]
