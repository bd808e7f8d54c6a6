"""CLIP's vision transformer image tower."""

from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from refseg.registry import MODELS

from .layers import CLIPTower, CLIPTransformer, resize_pos_embed

__all__ = ['CLIPVisionTransformer']


@MODELS.register_module()
class CLIPVisionTransformer(CLIPTower):
    """CLIP's ViT image tower (ViT-B/32, B/16, L/14, ...).

    Parameter names are OpenAI's (without the ``visual.`` prefix): ``conv1``
    (patch embedding, no bias), ``class_embedding``, ``positional_embedding``,
    ``ln_pre``, ``transformer.resblocks.{i}``, ``ln_post`` and ``proj``.

    Besides :meth:`forward`, the steps are public for callers that run the
    blocks themselves (RISCLIP inserts adapters and cross-modal layers):
    ``tokens = embed(images)``, then each block of
    ``self.transformer.resblocks``, then ``project(tokens)``.

    Inputs of another size than ``input_resolution`` are supported: the
    positional embedding grid is resized bicubically (``align_corners=False``)
    to the patch grid of the input.

    Variants: ViT-B/16 ``patch_size=16, width=768, layers=12, heads=12,
    output_dim=512``; ViT-L/14 ``patch_size=14, width=1024, layers=24,
    heads=16, output_dim=768``; ViT-B/32 ``patch_size=32`` else as B/16.

    Args:
        input_resolution (int): Pretraining resolution; the positional grid
            is ``input_resolution // patch_size``. Defaults to 224.
        patch_size (int): Patch side. Defaults to 16.
        width (int): Token width D. Defaults to 768.
        layers (int): Number of blocks. Defaults to 12.
        heads (int): Attention heads. Defaults to 12.
        output_dim (int): Width E of the joint image-text space (``proj``).
            Defaults to 512.
        out_indices (Sequence[int]): Blocks (0-based, negative counts from
            the end) whose outputs :meth:`forward` returns as maps. Defaults
            to (-1, ): the last block.
        act_cfg (dict): MLP activation. Defaults to QuickGELU (OpenAI).
        init_cfg (dict, optional): e.g. ``dict(type='CLIPPretrained',
            checkpoint='ViT-B-16.pt')``.
    """

    clip_part = 'visual'

    def __init__(
        self,
        input_resolution: int = 224,
        patch_size: int = 16,
        width: int = 768,
        layers: int = 12,
        heads: int = 12,
        output_dim: int = 512,
        out_indices: Sequence[int] = (-1,),
        act_cfg: dict = dict(type='QuickGELU'),
        init_cfg=None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if input_resolution % patch_size != 0:
            raise ValueError(
                f'input_resolution={input_resolution} is not a multiple of patch_size={patch_size}'
            )
        bad = [i for i in out_indices if not -layers <= i < layers]
        if bad:
            raise ValueError(
                f'out_indices {tuple(out_indices)} name blocks outside 0..{layers - 1}'
            )
        self.out_indices = tuple(sorted({i % layers for i in out_indices}))
        self.input_resolution = input_resolution
        self.patch_size = patch_size
        self.width = width
        self.output_dim = output_dim

        scale = width**-0.5
        grid = input_resolution // patch_size
        self.conv1 = nn.Conv2d(3, width, patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid**2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = CLIPTransformer(width, layers, heads, act_cfg)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def grid_size(self, image_hw: Sequence[int]) -> Tuple[int, int]:
        """Patch grid (h, w) of an (H, W) input; H and W must be multiples
        of ``patch_size``."""
        height, width = image_hw
        if height % self.patch_size or width % self.patch_size:
            raise ValueError(
                f'image size {height}x{width} is not a multiple of the patch size {self.patch_size}'
            )
        return height // self.patch_size, width // self.patch_size

    def embed(self, images: Tensor) -> Tensor:
        """Patch embedding, class token, positional embedding and ``ln_pre``.

        Args:
            images (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, 1 + h * w, D) tokens, the class token first, then the
            patches in row-major order (h, w from :meth:`grid_size`).
        """
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(
                'CLIPVisionTransformer expects images of shape '
                f'(B, 3, H, W), got {tuple(images.shape)}'
            )
        grid_hw = self.grid_size(images.shape[-2:])
        patches = self.conv1(images).flatten(2).transpose(1, 2)
        cls_token = self.class_embedding.to(patches.dtype).expand(patches.shape[0], 1, -1)
        tokens = torch.cat([cls_token, patches], dim=1)
        tokens = tokens + resize_pos_embed(self.positional_embedding, grid_hw).to(tokens.dtype)
        return self.ln_pre(tokens)

    def project(self, tokens: Tensor) -> Tensor:
        """``ln_post(tokens) @ proj`` on every token: (B, N, D) -> (B, N, E).

        Applied to the class token this is CLIP's image embedding.
        """
        return self.ln_post(tokens) @ self.proj

    def forward(self, images: Tensor) -> Dict[str, Union[Tensor, list, tuple]]:
        """Encode images.

        Args:
            images (Tensor): (B, 3, H, W) normalised images.

        Returns:
            dict: with keys

            - ``cls`` (B, E): projected class token (CLIP's image embedding).
            - ``patch_tokens`` (B, h * w, E): projected patch tokens, in the
              joint space.
            - ``block_outputs`` list of (B, D, h, w): patch tokens of the
              blocks in ``out_indices`` (not normalised, not projected).
            - ``grid`` (h, w): the patch grid.
        """
        tokens = self.embed(images)
        height, width = self.grid_size(images.shape[-2:])
        tokens, block_tokens = self.transformer(tokens, out_indices=self.out_indices)
        block_outputs = [
            block[:, 1:].transpose(1, 2).reshape(-1, self.width, height, width)
            for block in block_tokens
        ]
        projected = self.project(tokens)
        return dict(
            cls=projected[:, 0],
            patch_tokens=projected[:, 1:],
            block_outputs=block_outputs,
            grid=(height, width),
        )
