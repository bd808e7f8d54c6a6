"""CLIP's modified ResNet image tower, with CRIS's dense attention pool."""

from collections import OrderedDict
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor

from refseg.registry import MODELS

from .layers import CLIPTower, resize_pos_embed

__all__ = ['CLIPBottleneck', 'CLIPAttentionPool2d', 'CLIPResNet']


class CLIPBottleneck(nn.Module):
    """Anti-aliased bottleneck of CLIP's ResNet.

    A stride > 1 is applied by an average pool after the 3x3 conv (and before
    the shortcut's 1x1 conv) instead of by strided convs. Expansion is 4.

    Args:
        in_channels (int): Input channels.
        planes (int): Width of the 1x1 and 3x3 convs; the output has
            ``4 * planes`` channels.
        stride (int): Spatial stride. Defaults to 1.
        norm_cfg (dict): Norm layer config.
    """

    expansion = 4

    def __init__(
        self, in_channels: int, planes: int, stride: int = 1, norm_cfg: dict = dict(type='BN')
    ) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, planes)[1]
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, planes)[1]
        self.relu2 = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, out_channels)[1]
        self.relu3 = nn.ReLU(inplace=True)
        self.downsample = None
        if stride > 1 or in_channels != out_channels:
            # OpenAI's key names: downsample.0 (conv), downsample.1 (norm)
            self.downsample = nn.Sequential(
                OrderedDict(
                    [
                        ('-1', nn.AvgPool2d(stride)),
                        ('0', nn.Conv2d(in_channels, out_channels, 1, bias=False)),
                        ('1', build_norm_layer(norm_cfg, out_channels)[1]),
                    ]
                )
            )

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, H, W) -> (B, 4 * planes, H / stride, W / stride)."""
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(self.avgpool(out)))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu3(out + shortcut)


class CLIPAttentionPool2d(nn.Module):
    """CLIP's attention pool over a feature map, pooled or dense.

    * Pooled (OpenAI CLIP): the spatial mean is prepended as a token, the
      positional embedding is added, and the mean token alone queries all
      tokens; the result is the image embedding (B, output_dim).
    * Dense (CRIS): no mean token; every position is a query, the grid part
      of the positional embedding is resized bicubically to the map's size on
      every call, and a new shortcut ``connect`` (1x1 conv without bias +
      norm) is added before a ReLU:
      ``out = ReLU(attention(x + pos) + connect(x))``, (B, output_dim, H, W).

    Both reuse CLIP's pretrained ``positional_embedding``, ``q_proj``,
    ``k_proj``, ``v_proj`` and ``c_proj``; ``connect`` is not in any CLIP
    checkpoint.

    Args:
        grid_size (int): Side of the pretrained positional grid
            (input_resolution // 32).
        embed_dims (int): Channels C of the input map.
        num_heads (int): Attention heads.
        output_dim (int): Output channels.
        dense (bool): Dense (CRIS) or pooled (OpenAI) mode.
        norm_cfg (dict): Norm of ``connect`` (dense mode only).
    """

    def __init__(
        self,
        grid_size: int,
        embed_dims: int,
        num_heads: int,
        output_dim: int,
        dense: bool = True,
        norm_cfg: dict = dict(type='BN'),
    ) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(
                f'attention pool width {embed_dims} is not divisible by heads={num_heads}'
            )
        self.num_heads = num_heads
        self.dense = dense
        self.positional_embedding = nn.Parameter(
            torch.randn(grid_size**2 + 1, embed_dims) / embed_dims**0.5
        )
        self.k_proj = nn.Linear(embed_dims, embed_dims)
        self.q_proj = nn.Linear(embed_dims, embed_dims)
        self.v_proj = nn.Linear(embed_dims, embed_dims)
        self.c_proj = nn.Linear(embed_dims, output_dim)
        if dense:
            self.connect = nn.Sequential(
                nn.Conv2d(embed_dims, output_dim, 1, bias=False),
                build_norm_layer(norm_cfg, output_dim)[1],
            )

    def _attend(self, queries: Tensor, tokens: Tensor) -> Tensor:
        """Multi-head attention of (B, Q, C) queries over (B, N, C) tokens,
        projected by ``c_proj``: (B, Q, output_dim)."""
        batch = tokens.shape[0]

        def split_heads(x: Tensor) -> Tensor:
            # (B, N, C) -> (B, heads, N, C / heads)
            return x.reshape(batch, x.shape[1], self.num_heads, -1).transpose(1, 2)

        out = F.scaled_dot_product_attention(
            split_heads(self.q_proj(queries)),
            split_heads(self.k_proj(tokens)),
            split_heads(self.v_proj(tokens)),
        )
        out = out.transpose(1, 2).reshape(batch, queries.shape[1], -1)
        return self.c_proj(out)

    def forward(self, x: Tensor) -> Tensor:
        """Pool a (B, C, H, W) map.

        Returns:
            Tensor: (B, output_dim, H, W) in dense mode, else (B, output_dim).
        """
        height, width = x.shape[-2:]
        tokens = x.flatten(2).transpose(1, 2)  # (B, HW, C)
        pos_embed = resize_pos_embed(self.positional_embedding, (height, width)).to(x.dtype)
        if self.dense:
            tokens = tokens + pos_embed[1:]
            attended = self._attend(tokens, tokens)  # (B, HW, out)
            attended = attended.transpose(1, 2).unflatten(2, (height, width))
            return F.relu(attended + self.connect(x))
        tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)
        tokens = tokens + pos_embed
        return self._attend(tokens[:, :1], tokens)[:, 0]


@MODELS.register_module()
class CLIPResNet(CLIPTower):
    """CLIP's modified ResNet (RN50, RN101, RN50x4, ...) as a multi-scale
    backbone, with CRIS's dense attention pool.

    Differences from torchvision's ResNet: a stem of three 3x3 convs then a
    2x2 average pool, anti-aliased strides (:class:`CLIPBottleneck`) and an
    attention pool in place of global average pooling. Parameter names are
    OpenAI's (without the ``visual.`` prefix), so an OpenAI checkpoint loads
    with ``init_cfg=dict(type='CLIPPretrained', checkpoint=...)``.

    Stage outputs (strides for the index in ``out_indices``):

    ====== ========= ======= ===========================================
    index  module    stride  channels
    ====== ========= ======= ===========================================
    0      layer1    4       4 * width
    1      layer2    8       8 * width (C3)
    2      layer3    16      16 * width (C4)
    3      layer4    32      32 * width
    4      attnpool  32      output_dim (C5; dense map, or a (B, output_dim)
                             vector when ``dense_attnpool=False``)
    ====== ========= ======= ===========================================

    Variants: RN50 ``layers=(3, 4, 6, 3), output_dim=1024``; RN101
    ``(3, 4, 23, 3), output_dim=512``; RN50x4 ``(4, 6, 10, 6), width=80,
    heads=40, input_resolution=288, output_dim=640``; RN50x16 ``(6, 8, 18, 8),
    width=96, heads=48, input_resolution=384, output_dim=768``.

    Args:
        layers (Sequence[int]): Bottlenecks in layer1..layer4.
        width (int): Stem width; stage i has ``width * 2**i`` planes.
        heads (int): Attention-pool heads; OpenAI uses ``width * 32 // 64``.
            Defaults to 32.
        input_resolution (int): Pretraining resolution; the attention pool's
            positional grid is ``input_resolution // 32``. Other input sizes
            work (the grid is resized). Defaults to 224.
        output_dim (int): Attention-pool output channels (CLIP's embed dim).
        dense_attnpool (bool): CRIS's dense attention pool (with the new
            ``attnpool.connect`` shortcut) or OpenAI's pooled vector.
            Defaults to True.
        out_indices (Sequence[int]): Outputs to return, see the table.
            Defaults to (1, 2, 4): CRIS's (C3, C4, C5).
        norm_cfg (dict): Norm layers (``SyncBN`` for distributed training).
            Defaults to ``dict(type='BN', requires_grad=True)``.
        init_cfg (dict, optional): e.g. ``dict(type='CLIPPretrained',
            checkpoint='RN50.pt')``.
    """

    clip_part = 'visual'
    new_param_prefixes = ('attnpool.connect.',)
    num_outputs = 5

    def __init__(
        self,
        layers: Sequence[int] = (3, 4, 6, 3),
        width: int = 64,
        heads: int = 32,
        input_resolution: int = 224,
        output_dim: int = 1024,
        dense_attnpool: bool = True,
        out_indices: Sequence[int] = (1, 2, 4),
        norm_cfg: dict = dict(type='BN', requires_grad=True),
        init_cfg=None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(layers) != 4:
            raise ValueError(f'layers must give 4 block counts, got {tuple(layers)}')
        bad = [i for i in out_indices if i not in range(self.num_outputs)]
        if bad or len(set(out_indices)) != len(out_indices):
            raise ValueError(
                f'out_indices must be distinct values in 0..4 '
                f'(layer1..layer4, attnpool), got {out_indices}'
            )
        self.out_indices = tuple(sorted(out_indices))
        self.input_resolution = input_resolution
        self.output_dim = output_dim

        stem_width = width // 2
        self.conv1 = nn.Conv2d(3, stem_width, 3, stride=2, padding=1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, stem_width)[1]
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(stem_width, stem_width, 3, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, stem_width)[1]
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(stem_width, width, 3, padding=1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, width)[1]
        self.relu3 = nn.ReLU(inplace=True)
        self.avgpool = nn.AvgPool2d(2)

        in_channels = width
        for index, num_blocks in enumerate(layers):
            planes = width * 2**index
            stride = 1 if index == 0 else 2
            blocks = [
                CLIPBottleneck(in_channels, planes, stride, norm_cfg),
                *(
                    CLIPBottleneck(planes * CLIPBottleneck.expansion, planes, 1, norm_cfg)
                    for _ in range(num_blocks - 1)
                ),
            ]
            self.add_module(f'layer{index + 1}', nn.Sequential(*blocks))
            in_channels = planes * CLIPBottleneck.expansion

        self.attnpool = CLIPAttentionPool2d(
            input_resolution // 32,
            in_channels,
            heads,
            output_dim,
            dense=dense_attnpool,
            norm_cfg=norm_cfg,
        )

    def stem(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) -> (B, width, H / 4, W / 4)."""
        x = self.relu1(self.bn1(self.conv1(images)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        return self.avgpool(x)

    def forward(self, images: Tensor) -> Tuple[Tensor, ...]:
        """Multi-scale features of normalised images.

        Args:
            images (Tensor): (B, 3, H, W); the sizes below are exact when H
                and W are multiples of 32 (otherwise they are floored).

        Returns:
            tuple[Tensor]: The outputs named by ``out_indices`` (see the class
            table); by default C3 (B, 8w, H/8, W/8), C4 (B, 16w, H/16, W/16)
            and the dense C5 (B, output_dim, H/32, W/32).
        """
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(
                f'CLIPResNet expects images of shape (B, 3, H, W), got {tuple(images.shape)}'
            )
        x = self.stem(images)
        outs = []
        for index in range(4):
            x = getattr(self, f'layer{index + 1}')(x)
            if index in self.out_indices:
                outs.append(x)
        if 4 in self.out_indices:
            outs.append(self.attnpool(x))
        return tuple(outs)
