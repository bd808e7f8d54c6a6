"""CRIS cross-modal neck: a text-gated FPN that fuses C3-C5 into one stride-16 map."""

from collections import OrderedDict
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, OptMultiConfig
from torch import Tensor

from refseg.registry import MODELS

from ..layers.torch_init import reset_to_torch_defaults


class CoordConvModule(ConvModule):
    """A :class:`ConvModule` that first appends two coordinate channels.

    The channels are ``x`` then ``y``, each a ``linspace(-1, 1)`` over the width and
    height, so the convolution sees where each pixel is (CoordConv). ``in_channels``
    counts the feature channels only; the conv gets ``in_channels + 2``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, **kwargs) -> None:
        super().__init__(in_channels + 2, out_channels, kernel_size, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, out_channels, H', W')."""
        batch, _, height, width = x.shape
        xs = torch.linspace(-1, 1, width, device=x.device, dtype=x.dtype)
        ys = torch.linspace(-1, 1, height, device=x.device, dtype=x.dtype)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        coords = torch.stack([grid_x, grid_y]).expand(batch, -1, -1, -1)
        return super().forward(torch.cat([x, coords], dim=1))


@MODELS.register_module()
class CRISNeck(BaseModule):
    """Cross-modal FPN of CRIS (Wang et al., CVPR 2022).

    The sentence state gates C5 once, multiplicatively; C4 and C3 are merged top-down,
    the three levels are aggregated at stride 16 and refined by a CoordConv and a
    3x3 conv.

    .. code:: text

        sent_feat ──► txt_proj ──────────────────┐ (B, c5', 1, 1)
        C5 ──► f1_v_proj ──► ⊙ ──► norm_layer ──► F5 ──────────────┐
        C4 ──► f2_v_proj ──► cat[F4, up2(F5)] ──► f2_cat ──► F4     │
        C3 ──► f3_v_proj ──► avgpool2 ──► cat[F3, F4] ──► f3_cat ──► F3
        cat[f4_proj3(F3), f4_proj4(F4), up2(f4_proj5(F5))] ──► aggr
            ──► coordconv.0 (CoordConv) ──► coordconv.1 ──► Fv (B, c4', H/16, W/16)

    All convs are ConvModule (conv without bias, norm, ReLU). The sub-module names are
    the official ones, so official checkpoints map by the small rename table in
    ``refseg.models.utils.cris_checkpoint``.

    Args:
        in_channels (Sequence[int]): Channels of C3, C4, C5. Defaults to
            (512, 1024, 1024) (CLIP RN50; RN101 has C5 = 512).
        out_channels (Sequence[int]): Working widths (c3', c4', c5') of the three
            levels; c4' is the output width. Defaults to (256, 512, 1024).
        state_dim (int): Width Cs of the sentence state. Defaults to 1024.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Without one, convs and
            linears keep PyTorch's default initialisation, as in the official code.
    """

    def __init__(
        self,
        in_channels: Sequence[int] = (512, 1024, 1024),
        out_channels: Sequence[int] = (256, 512, 1024),
        state_dim: int = 1024,
        norm_cfg: ConfigType = dict(type='BN'),
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 3 or len(out_channels) != 3:
            raise ValueError(
                'CRISNeck needs three levels (C3, C4, C5): got in_channels='
                f'{list(in_channels)} and out_channels={list(out_channels)}'
            )
        c3_in, c4_in, c5_in = in_channels
        c3, c4, c5 = out_channels
        self.in_channels = list(in_channels)

        def cbr(cin: int, cout: int, kernel_size: int) -> ConvModule:
            return ConvModule(
                cin, cout, kernel_size, padding=kernel_size // 2, bias=False, norm_cfg=norm_cfg
            )

        # Linear -> norm -> ReLU; the gate is reshaped to (B, C, 1, 1) before the norm
        # so that a 2-D BatchNorm (BN or SyncBN from norm_cfg) acts as BN1d would.
        self.txt_proj = nn.Sequential(
            OrderedDict(
                fc=nn.Linear(state_dim, c5, bias=False),
                to_map=nn.Unflatten(1, (c5, 1, 1)),
                bn=build_norm_layer(norm_cfg, c5)[1],
                activate=nn.ReLU(inplace=True),
            )
        )
        self.f1_v_proj = cbr(c5_in, c5, 1)
        self.norm_layer = nn.Sequential(build_norm_layer(norm_cfg, c5)[1], nn.ReLU(inplace=True))
        self.f2_v_proj = cbr(c4_in, c4, 3)
        self.f2_cat = cbr(c5 + c4, c4, 1)
        self.f3_v_proj = cbr(c3_in, c3, 3)
        self.f3_cat = cbr(c3 + c4, c4, 1)
        self.f4_proj5 = cbr(c5, c4, 3)
        self.f4_proj4 = cbr(c4, c4, 3)
        self.f4_proj3 = cbr(c4, c4, 3)
        self.aggr = cbr(3 * c4, c4, 1)
        self.coordconv = nn.Sequential(
            CoordConvModule(c4, c4, 3, padding=1, bias=False, norm_cfg=norm_cfg), cbr(c4, c4, 3)
        )

    def init_weights(self) -> None:
        """ConvModule re-initialises its conv with Kaiming-normal; without an
        ``init_cfg``, go back to PyTorch's defaults, which the official model trains
        from."""
        super().init_weights()
        if self.init_cfg is None:
            reset_to_torch_defaults(self)

    def forward(self, img_feats: Sequence[Tensor], text: Dict[str, Tensor]) -> Tensor:
        """Fuse the image pyramid with the sentence state.

        Args:
            img_feats (Sequence[Tensor]): (C3, C4, C5) of shapes (B, c3, H/8, W/8),
                (B, c4, H/16, W/16), (B, c5, H/32, W/32); H, W multiples of 32.
            text (dict): The text encoder's features; CRIS reads only ``sent_feat``,
                the (B, Cs) sentence state.

        Returns:
            Tensor: Fv, (B, c4', H/16, W/16).
        """
        sent_feat = text['sent_feat']
        self._check_inputs(img_feats, sent_feat)
        return self.fuse(self.project_image(img_feats), sent_feat)

    def project_image(self, img_feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """The text-independent part: per-level projections of (C3, C4, C5).

        Computed once per image, they serve any number of expressions (:meth:`fuse`).

        Returns:
            tuple[Tensor]: (B, c3', H/16, W/16) pooled C3, (B, c4', H/16, W/16) C4 and
            (B, c5', H/32, W/32) C5 projections.
        """
        c3_map, c4_map, c5_map = img_feats
        f3 = F.avg_pool2d(self.f3_v_proj(c3_map), kernel_size=2, stride=2)
        return f3, self.f2_v_proj(c4_map), self.f1_v_proj(c5_map)

    def fuse(self, projected: Sequence[Tensor], sent_feat: Tensor) -> Tensor:
        """Gate with the sentence and fuse: :meth:`project_image`'s maps -> Fv."""
        f3, f4, f5 = projected
        f5 = self.norm_layer(f5 * self.txt_proj(sent_feat))
        f4 = self.f2_cat(torch.cat([f4, _up2(f5)], dim=1))
        f3 = self.f3_cat(torch.cat([f3, f4], dim=1))
        levels = [self.f4_proj3(f3), self.f4_proj4(f4), _up2(self.f4_proj5(f5))]
        return self.coordconv(self.aggr(torch.cat(levels, dim=1)))

    def _check_inputs(
        self, img_feats: Sequence[Tensor], sent_feat: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor]:
        if len(img_feats) != 3:
            raise ValueError(f'CRISNeck expects (C3, C4, C5), got {len(img_feats)} feature maps')
        channels: List[int] = [feat.shape[1] for feat in img_feats]
        if channels != self.in_channels:
            raise ValueError(
                f'CRISNeck was built for in_channels={self.in_channels} '
                f'but got feature maps with {channels} channels'
            )
        c3_map, c4_map, c5_map = img_feats
        c4_size = tuple(c4_map.shape[-2:])
        expected = {'C3': tuple(2 * s for s in c4_size), 'C5': tuple(s // 2 for s in c4_size)}
        got = {'C3': tuple(c3_map.shape[-2:]), 'C5': tuple(c5_map.shape[-2:])}
        if got != expected or any(s % 2 for s in c4_size):
            raise ValueError(
                'CRISNeck needs strides 8/16/32 with an input side divisible by 32: '
                f'got C3 {got["C3"]}, C4 {c4_size}, C5 {got["C5"]}'
            )
        if sent_feat.dim() != 2 or sent_feat.shape[0] != c4_map.shape[0]:
            raise ValueError(
                f'sent_feat must be (B={c4_map.shape[0]}, Cs), got {tuple(sent_feat.shape)}'
            )
        return c3_map, c4_map, c5_map


def _up2(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
