"""Building blocks shared by the CLIP image and text towers.

Every tensor is batch-first, ``(B, L, D)``. Parameter names follow OpenAI's
CLIP (``attn.in_proj_weight``, ``ln_1``, ``mlp.c_fc``, ...) so an OpenAI state
dict loads by stripping a prefix; only the key names matter, not OpenAI's
``(L, B, D)`` layout.
"""

import math
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.registry import DefaultScope
from torch import Tensor

from refseg.registry import MODELS

__all__ = [
    'QuickGELU',
    'CLIPAttention',
    'CLIPResidualBlock',
    'CLIPTransformer',
    'CLIPTower',
    'resize_pos_embed',
    'merge_attention_masks',
]


@MODELS.register_module()
class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``: the GELU approximation OpenAI's CLIP was
    trained with (exact GELU changes the features of a pretrained model)."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.702 * x)


def merge_attention_masks(
    attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor], dtype: torch.dtype
) -> Optional[Tensor]:
    """Merge the two masks of :class:`torch.nn.MultiheadAttention` into one
    mask for :func:`torch.nn.functional.scaled_dot_product_attention`.

    Conventions are those of ``nn.MultiheadAttention``: a boolean mask is True
    where attention is *forbidden*; a float mask is added to the logits.

    Args:
        attn_mask (Tensor, optional): (L, S) or (B, L, S) boolean or additive
            float mask, shared by all heads.
        key_padding_mask (Tensor, optional): (B, S) boolean, True = padding.
        dtype (torch.dtype): dtype of the queries (float masks must match it).

    Returns:
        Tensor | None: A boolean mask (True = *may* attend, SDPA's convention)
        when both inputs are boolean, else an additive float mask of ``dtype``;
        broadcastable to (B, heads, L, S).
    """
    if attn_mask is None and key_padding_mask is None:
        return None
    masks = []
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise ValueError(
                f'attn_mask must have shape (L, S) or (B, L, S), got {tuple(attn_mask.shape)}'
            )
        # (L, S) -> (1, 1, L, S); (B, L, S) -> (B, 1, L, S)
        masks.append(attn_mask.reshape(-1, 1, *attn_mask.shape[-2:]))
    if key_padding_mask is not None:
        if key_padding_mask.dim() != 2 or key_padding_mask.dtype != torch.bool:
            raise ValueError(
                'key_padding_mask must be a boolean (B, S) '
                f'tensor, got {key_padding_mask.dtype} '
                f'{tuple(key_padding_mask.shape)}'
            )
        masks.append(key_padding_mask[:, None, None, :])
    if all(mask.dtype == torch.bool for mask in masks):
        forbidden = masks[0]
        for mask in masks[1:]:
            forbidden = forbidden | mask
        return ~forbidden
    additive = None
    for mask in masks:
        if mask.dtype == torch.bool:
            mask = torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
                mask, float('-inf')
            )
        mask = mask.to(dtype)
        additive = mask if additive is None else additive + mask
    return additive


class CLIPAttention(nn.Module):
    """Multi-head self-attention holding ``nn.MultiheadAttention``'s
    parameters (``in_proj_weight``, ``in_proj_bias``, ``out_proj``), computed
    with :func:`torch.nn.functional.scaled_dot_product_attention` on
    batch-first tensors.

    Args:
        embed_dims (int): Token width D.
        num_heads (int): Number of heads; must divide ``embed_dims``.
    """

    def __init__(self, embed_dims: int, num_heads: int) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by num_heads={num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dims, embed_dims))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dims))
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        # nn.MultiheadAttention's own initialisation
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(
        self,
        x: Tensor,
        attn_mask: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None,
    ) -> Tensor:
        """Self-attention over the tokens of each sample.

        Args:
            x (Tensor): (B, L, D) tokens.
            attn_mask (Tensor, optional): (L, L) or (B, L, L); boolean (True =
                forbidden) or additive float.
            key_padding_mask (Tensor, optional): (B, L) boolean, True = the
                token is ignored as a key.

        Returns:
            Tensor: (B, L, D).
        """
        batch, length, _ = x.shape
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        # (B, L, 3D) -> 3 x (B, heads, L, D / heads)
        qkv = qkv.reshape(batch, length, 3, self.num_heads, -1)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        mask = merge_attention_masks(attn_mask, key_padding_mask, query.dtype)
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
        out = out.transpose(1, 2).reshape(batch, length, self.embed_dims)
        return self.out_proj(out)


class CLIPResidualBlock(nn.Module):
    """Pre-norm transformer block of CLIP (``ResidualAttentionBlock``).

    ``x + attention_branch(x)`` then ``x + mlp_branch(x)``. The two branches
    are public so that callers (RISCLIP's adapters) can run them one at a
    time and act between them.

    Args:
        embed_dims (int): Token width D.
        num_heads (int): Number of attention heads.
        mlp_ratio (float): Hidden width of the MLP relative to D. Defaults
            to 4.
        act_cfg (dict): MLP activation. Defaults to ``dict(type='QuickGELU')``
            (OpenAI; some OpenCLIP models use ``dict(type='GELU')``).
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        act_cfg: dict = dict(type='QuickGELU'),
    ) -> None:
        super().__init__()
        hidden_dims = int(embed_dims * mlp_ratio)
        self.attn = CLIPAttention(embed_dims, num_heads)
        self.ln_1 = nn.LayerNorm(embed_dims)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ('c_fc', nn.Linear(embed_dims, hidden_dims)),
                    ('gelu', MODELS.build(act_cfg)),
                    ('c_proj', nn.Linear(hidden_dims, embed_dims)),
                ]
            )
        )
        self.ln_2 = nn.LayerNorm(embed_dims)

    def attention_branch(
        self,
        x: Tensor,
        attn_mask: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None,
    ) -> Tensor:
        """The attention residual ``attn(ln_1(x))``, (B, L, D) -> (B, L, D);
        masks as in :meth:`CLIPAttention.forward`. The caller adds it to x."""
        return self.attn(self.ln_1(x), attn_mask, key_padding_mask)

    def mlp_branch(self, x: Tensor) -> Tensor:
        """The MLP residual ``mlp(ln_2(x))``, (B, L, D) -> (B, L, D)."""
        return self.mlp(self.ln_2(x))

    def forward(
        self,
        x: Tensor,
        attn_mask: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None,
    ) -> Tensor:
        """(B, L, D) -> (B, L, D)."""
        x = x + self.attention_branch(x, attn_mask, key_padding_mask)
        return x + self.mlp_branch(x)


class CLIPTransformer(nn.Module):
    """A stack of :class:`CLIPResidualBlock` kept in ``resblocks`` (OpenAI's
    name), so that callers can also step through the blocks themselves.

    Args:
        embed_dims (int): Token width D.
        num_layers (int): Number of blocks.
        num_heads (int): Attention heads per block.
        act_cfg (dict): MLP activation of every block.
    """

    def __init__(
        self,
        embed_dims: int,
        num_layers: int,
        num_heads: int,
        act_cfg: dict = dict(type='QuickGELU'),
    ) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(
            [CLIPResidualBlock(embed_dims, num_heads, act_cfg=act_cfg) for _ in range(num_layers)]
        )

    def forward(
        self,
        x: Tensor,
        attn_mask: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None,
        out_indices: Sequence[int] = (),
    ) -> Tuple[Tensor, List[Tensor]]:
        """Run all blocks.

        Args:
            x (Tensor): (B, L, D) tokens.
            attn_mask, key_padding_mask: as in :meth:`CLIPAttention.forward`.
            out_indices (Sequence[int]): Blocks (0-based) whose outputs are
                also returned.

        Returns:
            tuple[Tensor, list[Tensor]]: The (B, L, D) output of the last block
            and the (B, L, D) outputs of the blocks in ``out_indices``, in
            block order.
        """
        block_outputs = []
        for index, block in enumerate(self.resblocks):
            x = block(x, attn_mask, key_padding_mask)
            if index in out_indices:
                block_outputs.append(x)
        return x, block_outputs


def resize_pos_embed(
    pos_embed: Tensor, grid_hw: Tuple[int, int], num_extra_tokens: int = 1
) -> Tensor:
    """Resize a CLIP positional embedding table to another token grid.

    The first ``num_extra_tokens`` rows (the class token) are kept; the other
    rows, a square grid in row-major order, are resized bicubically
    (``align_corners=False``). A table that already fits is returned as is.

    Args:
        pos_embed (Tensor): (num_extra_tokens + g * g, D).
        grid_hw (tuple[int, int]): Target grid (h, w).
        num_extra_tokens (int): Rows that are not grid positions.

    Returns:
        Tensor: (num_extra_tokens + h * w, D).
    """
    height, width = grid_hw
    num_grid = pos_embed.shape[0] - num_extra_tokens
    side = math.isqrt(num_grid)
    if side * side != num_grid:
        raise ValueError(
            f'positional embedding has {pos_embed.shape[0]} rows: after '
            f'{num_extra_tokens} extra token(s) the rest is not a square grid'
        )
    if (side, side) == (height, width):
        return pos_embed
    extra, grid = pos_embed[:num_extra_tokens], pos_embed[num_extra_tokens:]
    # (g * g, D) -> (1, D, g, g); interpolation in fp32 (bicubic has no fp16
    # CPU kernel and fp32 keeps tables loaded from fp16 checkpoints exact).
    grid = grid.float().reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(height, width), mode='bicubic', align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(height * width, -1)
    return torch.cat([extra, grid.to(pos_embed.dtype)], dim=0)


class CLIPTower(BaseModule):
    """Base of the three CLIP towers: says which part of a CLIP checkpoint
    initialises it (``clip_part``, 'visual' or 'text', read by
    ``CLIPPretrained``) and which of its parameters are new, i.e. absent from
    any CLIP checkpoint (``new_param_prefixes``)."""

    clip_part: str = ''
    new_param_prefixes: Tuple[str, ...] = ()

    def init_weights(self) -> None:
        """Initialise as :class:`BaseModule` does, but with ``refseg`` as the
        default scope, so that ``init_cfg=dict(type='CLIPPretrained', ...)``
        also resolves outside a runner (tests, scripts, other scopes)."""
        with DefaultScope.overwrite_default_scope('refseg'):
            super().init_weights()
