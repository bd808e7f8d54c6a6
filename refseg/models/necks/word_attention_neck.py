"""A word-level fusion neck: every pixel attends over the expression's words."""

from typing import Dict, Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.utils import OptMultiConfig
from torch import Tensor

from refseg.registry import MODELS


@MODELS.register_module()
class WordAttentionNeck(BaseModule):
    """Pixel-word attention on one backbone level, in the spirit of LAVT's PWAM.

    The worked example of ``docs/customize.md``: a neck that reads the word features,
    which ``RefSegmentor`` hands to every neck next to the sentence feature.

    .. code:: text

        img_feats[in_index] (B,Ci,h,w) ─► 1x1 conv ─► X (B,C,h,w)
        X as queries, word_feats (B,L,Cw) as keys/values, padding masked ─► A (B,C,h,w)
        X + tanh_gate(A) * A ─► vis_feats (B,C,h,w)

    Args:
        in_channels (int): Width Ci of the chosen backbone level.
        text_channels (int): Width Cw of ``word_feats``.
        out_channels (int): Width C of the output.
        in_index (int): Which backbone output to fuse. Defaults to -1 (the last).
        num_heads (int): Attention heads; must divide ``out_channels``. Defaults to 4.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        in_channels: int,
        text_channels: int,
        out_channels: int,
        in_index: int = -1,
        num_heads: int = 4,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_index = in_index
        self.in_proj = nn.Conv2d(in_channels, out_channels, 1)
        self.attn = nn.MultiheadAttention(
            out_channels, num_heads, kdim=text_channels, vdim=text_channels, batch_first=True
        )
        self.gate = nn.Sequential(nn.Conv2d(out_channels, out_channels, 1), nn.Tanh())

    def forward(self, img_feats: Sequence[Tensor], text: Dict[str, Tensor]) -> Tensor:
        """Fuse one image level with the words.

        Args:
            img_feats (Sequence[Tensor]): Backbone outputs; ``img_feats[in_index]`` is
                (B, Ci, h, w).
            text (dict): ``word_feats`` (B, L, Cw) and ``pad_mask`` (B, L) bool, True at
                padding.

        Returns:
            Tensor: (B, C, h, w) text-aware visual features.
        """
        pixels = self.in_proj(img_feats[self.in_index])
        batch, channels, height, width = pixels.shape
        queries = pixels.flatten(2).transpose(1, 2)  # (B, h*w, C)
        attended, _ = self.attn(
            queries,
            text['word_feats'],
            text['word_feats'],
            key_padding_mask=text['pad_mask'],
            need_weights=False,
        )
        attended = attended.transpose(1, 2).reshape(batch, channels, height, width)
        return pixels + self.gate(attended) * attended
