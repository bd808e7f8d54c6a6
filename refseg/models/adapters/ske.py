"""Shared-space Knowledge Exploitation (SKE): RISCLIP's layers in CLIP's joint space.

SKE runs after both encoders, on image tokens through ``ln_post`` + ``proj`` and text tokens
through ``ln_final`` + ``text_projection``, where CLIP has aligned the two modalities. Every
residual branch ends in a zero-initialised projection, so an untrained SKE is the identity
and stage 1 starts from CLIP's own patch-sentence similarities.
"""

from typing import Optional, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from refseg.registry import MODELS


def _zero_linear(linear: nn.Linear) -> None:
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)


class _StreamMLP(nn.Sequential):
    """``Linear(d, h) -> GELU -> Linear(h, d)`` with the second Linear zeroed."""

    def __init__(self, embed_dims: int, hidden_dims: int) -> None:
        super().__init__(
            nn.Linear(embed_dims, hidden_dims), nn.GELU(), nn.Linear(hidden_dims, embed_dims)
        )
        _zero_linear(self[2])


def _attention(embed_dims: int, num_heads: int) -> nn.MultiheadAttention:
    attn = nn.MultiheadAttention(embed_dims, num_heads, batch_first=True)
    _zero_linear(attn.out_proj)
    return attn


@MODELS.register_module()
class SKELayer(BaseModule):
    """One SKE layer: two-way cross-attention, per-stream self-attention, per-stream MLP.

    .. code:: text

        V <- V + CA_v(LN(V), LN(T))    T <- T + CA_t(LN(T), LN(V))   (simultaneous)
        V <- V + SA_v(LN(V))           T <- T + SA_t(LN(T))
        V <- V + MLP_v(LN(V))          T <- T + MLP_t(LN(T))

    Text keys are masked at padding positions wherever they are attended to.

    Args:
        embed_dims (int): d, CLIP's joint embedding width.
        num_heads (int): Attention heads.
        mlp_ratio (float): MLP hidden width as a multiple of d. Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        mlp_ratio: float = 1.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(
                f'SKELayer: embed_dims={embed_dims} is not divisible by num_heads={num_heads}'
            )
        hidden_dims = int(round(embed_dims * mlp_ratio))
        if hidden_dims <= 0:
            raise ValueError(f'SKELayer: mlp_ratio={mlp_ratio} gives no hidden units')
        self.cross_norm_image = nn.LayerNorm(embed_dims)
        self.cross_norm_text = nn.LayerNorm(embed_dims)
        self.cross_attn_image = _attention(embed_dims, num_heads)
        self.cross_attn_text = _attention(embed_dims, num_heads)
        self.self_norm_image = nn.LayerNorm(embed_dims)
        self.self_norm_text = nn.LayerNorm(embed_dims)
        self.self_attn_image = _attention(embed_dims, num_heads)
        self.self_attn_text = _attention(embed_dims, num_heads)
        self.mlp_norm_image = nn.LayerNorm(embed_dims)
        self.mlp_norm_text = nn.LayerNorm(embed_dims)
        self.mlp_image = _StreamMLP(embed_dims, hidden_dims)
        self.mlp_text = _StreamMLP(embed_dims, hidden_dims)

    def forward(
        self, image_tokens: Tensor, text_tokens: Tensor, text_pad_mask: Tensor
    ) -> Tuple[Tensor, Tensor]:
        """Refine both token sets.

        Args:
            image_tokens (Tensor): V, (B, N_v, d).
            text_tokens (Tensor): T, (B, N_t, d).
            text_pad_mask (Tensor): (B, N_t) bool, True at padding.

        Returns:
            tuple[Tensor, Tensor]: Refined V (B, N_v, d) and T (B, N_t, d).
        """
        image_normed = self.cross_norm_image(image_tokens)
        text_normed = self.cross_norm_text(text_tokens)
        image_tokens = (
            image_tokens
            + self.cross_attn_image(
                image_normed,
                text_normed,
                text_normed,
                key_padding_mask=text_pad_mask,
                need_weights=False,
            )[0]
        )
        text_tokens = (
            text_tokens
            + self.cross_attn_text(text_normed, image_normed, image_normed, need_weights=False)[0]
        )

        image_normed = self.self_norm_image(image_tokens)
        image_tokens = (
            image_tokens
            + self.self_attn_image(image_normed, image_normed, image_normed, need_weights=False)[0]
        )
        text_normed = self.self_norm_text(text_tokens)
        text_tokens = (
            text_tokens
            + self.self_attn_text(
                text_normed,
                text_normed,
                text_normed,
                key_padding_mask=text_pad_mask,
                need_weights=False,
            )[0]
        )

        image_tokens = image_tokens + self.mlp_image(self.mlp_norm_image(image_tokens))
        text_tokens = text_tokens + self.mlp_text(self.mlp_norm_text(text_tokens))
        return image_tokens, text_tokens


@MODELS.register_module()
class SKE(BaseModule):
    """A stack of :class:`SKELayer`.

    Args:
        embed_dims (int): d, CLIP's joint embedding width.
        num_heads (int): Attention heads per layer.
        num_layers (int): N_s. Defaults to 6.
        mlp_ratio (float): MLP hidden width / d. Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        num_layers: int = 6,
        mlp_ratio: float = 1.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers <= 0:
            raise ValueError(
                f'SKE: num_layers must be positive, got {num_layers}; '
                f'set ske=None in the segmentor to switch SKE off'
            )
        self.layers = nn.ModuleList(
            SKELayer(embed_dims, num_heads, mlp_ratio) for _ in range(num_layers)
        )

    def forward(
        self, image_tokens: Tensor, text_tokens: Tensor, text_pad_mask: Tensor
    ) -> Tuple[Tensor, Tensor]:
        """Args and returns as :meth:`SKELayer.forward`."""
        for layer in self.layers:
            image_tokens, text_tokens = layer(image_tokens, text_tokens, text_pad_mask)
        return image_tokens, text_tokens
