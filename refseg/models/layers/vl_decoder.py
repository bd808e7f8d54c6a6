"""CRIS vision-language transformer decoder: visual tokens attend to themselves and
to the words."""

import math
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.utils import OptMultiConfig
from torch import Tensor

from refseg.registry import MODELS


def sine_position_encoding_1d(length: int, dim: int, device=None) -> Tensor:
    """Transformer sinusoidal encoding of integer positions 0..length-1.

    ``pe[p, 2i] = sin(p * w_i)`` and ``pe[p, 2i + 1] = cos(p * w_i)`` with
    ``w_i = 10000 ** (-2i / dim)``.

    Returns:
        Tensor: (length, dim) float32.
    """
    if dim % 2:
        raise ValueError(f'1-D position encoding needs an even dim, got {dim}')
    freqs = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    angles = torch.arange(length, device=device, dtype=torch.float32)[:, None] * freqs
    # interleave sin / cos: channel 2i is sin, 2i+1 is cos
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)


def sine_position_encoding_2d(height: int, width: int, dim: int, device=None) -> Tensor:
    """2-D sinusoidal encoding of raw (row, column) indices, as in CRIS.

    The first ``dim / 2`` channels encode the column x with the 1-D formula on
    ``dim / 2`` channels, the last ``dim / 2`` the row y.

    Returns:
        Tensor: (height * width, dim) float32, row-major (index ``y * width + x``).
    """
    if dim % 4:
        raise ValueError(f'2-D position encoding needs dim divisible by 4, got {dim}')
    half = dim // 2
    pe_x = sine_position_encoding_1d(width, half, device)  # (W, dim/2)
    pe_y = sine_position_encoding_1d(height, half, device)  # (H, dim/2)
    pe = torch.cat([pe_x[None].expand(height, -1, -1), pe_y[:, None].expand(-1, width, -1)], dim=-1)
    return pe.reshape(height * width, dim)


class VLDecoderLayer(nn.Module):
    """One CRIS decoder layer (pre-norm, plus a LayerNorm on each attention output).

    Parameter names follow the official code: ``self_attn``, ``multihead_attn``,
    ``self_attn_norm``, ``cross_attn_norm``, ``norm1/2/3`` and ``ffn.{0,3,4}``.

    Args:
        embed_dims (int): Token width C (visual and text).
        num_heads (int): Attention heads.
        ffn_dims (int): Hidden width of the FFN.
        dropout (float): Dropout on attention weights, FFN hidden units and the
            three residual branches.
    """

    def __init__(self, embed_dims: int, num_heads: int, ffn_dims: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True
        )
        self.multihead_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True
        )
        self.self_attn_norm = nn.LayerNorm(embed_dims)
        self.cross_attn_norm = nn.LayerNorm(embed_dims)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.norm3 = nn.LayerNorm(embed_dims)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, ffn_dims),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.LayerNorm(ffn_dims),
            nn.Linear(ffn_dims, embed_dims),
        )
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(
        self, vis: Tensor, txt: Tensor, vis_pos: Tensor, txt_pos: Tensor, pad_mask: Optional[Tensor]
    ) -> Tensor:
        """Update the visual tokens.

        Args:
            vis (Tensor): (B, N, C) visual tokens.
            txt (Tensor): (B, L, C) word features (left unchanged).
            vis_pos (Tensor): (N, C) visual position encoding.
            txt_pos (Tensor): (L, C) text position encoding.
            pad_mask (Tensor, optional): (B, L) bool, True = padding word.

        Returns:
            Tensor: (B, N, C).
        """
        normed = self.norm1(vis)
        query = normed + vis_pos
        attended = self.self_attn(query, query, normed, need_weights=False)[0]
        vis = vis + self.dropout1(self.self_attn_norm(attended))

        normed = self.norm2(vis)
        attended = self.multihead_attn(
            normed + vis_pos, txt + txt_pos, txt, key_padding_mask=pad_mask, need_weights=False
        )[0]
        vis = vis + self.dropout2(self.cross_attn_norm(attended))

        return vis + self.dropout3(self.ffn(self.norm3(vis)))


@MODELS.register_module()
class VLTransformerDecoder(BaseModule):
    """CRIS vision-language decoder.

    Visual tokens (the neck output, flattened row-major) go through ``num_layers``
    layers of self-attention, cross-attention to the words and an FFN, then a final
    LayerNorm. The words are keys and values only; they are not updated. Fixed
    sinusoidal encodings (2-D for pixels, 1-D for words, on raw integer positions) are
    added to queries and keys, never to values.

    Args:
        num_layers (int): Number of layers. Defaults to 3.
        embed_dims (int): Token width C; visual and word features must both have
            it. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): FFN hidden width. Defaults to 2048.
        dropout (float): Dropout rate. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's defaults, as the official code).
    """

    def __init__(
        self,
        num_layers: int = 3,
        embed_dims: int = 512,
        num_heads: int = 8,
        ffn_dims: int = 2048,
        dropout: float = 0.1,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(
                f'num_layers must be >= 1, got {num_layers}; use '
                'decoder=None in the head for no decoder'
            )
        self.embed_dims = embed_dims
        self.layers = nn.ModuleList(
            VLDecoderLayer(embed_dims, num_heads, ffn_dims, dropout) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(embed_dims)

    def forward(
        self, vis_feats: Tensor, word_feats: Tensor, pad_mask: Optional[Tensor] = None
    ) -> Tensor:
        """Attend from pixels to pixels and words.

        Args:
            vis_feats (Tensor): (B, C, H, W) visual features.
            word_feats (Tensor): (B, L, C) word features.
            pad_mask (Tensor, optional): (B, L) bool, True where the token is
                padding (ignored as a key).

        Returns:
            Tensor: (B, C, H, W) decoded visual features.
        """
        batch, channels, height, width = vis_feats.shape
        if channels != self.embed_dims or word_feats.shape[-1] != self.embed_dims:
            raise ValueError(
                f'VLTransformerDecoder has embed_dims={self.embed_dims}, got visual '
                f'features {tuple(vis_feats.shape)} and word features '
                f'{tuple(word_feats.shape)}'
            )
        if pad_mask is not None and pad_mask.shape != word_feats.shape[:2]:
            raise ValueError(
                f'pad_mask {tuple(pad_mask.shape)} does not match word '
                f'features {tuple(word_feats.shape[:2])}'
            )
        device = vis_feats.device
        vis_pos = sine_position_encoding_2d(height, width, channels, device)
        txt_pos = sine_position_encoding_1d(word_feats.shape[1], channels, device)

        tokens = vis_feats.flatten(2).transpose(1, 2)  # (B, HW, C)
        for layer in self.layers:
            tokens = layer(tokens, word_feats, vis_pos, txt_pos, pad_mask)
        tokens = self.norm(tokens)
        return tokens.transpose(1, 2).reshape(batch, channels, height, width)
