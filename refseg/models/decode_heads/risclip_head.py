"""RISCLIP's head: the patch-level grounding map and the light decoder on top of it."""

import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, MultiConfig
from torch import Tensor

from refseg.registry import MODELS

from .base_ref_head import BaseRefHead


@MODELS.register_module()
class PatchGrounding(BaseModule):
    """Grounding logits ``z = exp(s_hat) * cos(v_i, t) + b`` on the patch grid.

    Args:
        scale_init (float): Initial ``exp(s_hat)``. Defaults to 10.
        bias_init (float): Initial ``b``. Defaults to -2.
        learnable (bool): Train ``s_hat`` and ``b``; False with ``scale_init=1``,
            ``bias_init=0`` gives the raw cosine (the v1 re-implementation's choice).
            Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        scale_init: float = 10.0,
        bias_init: float = -2.0,
        learnable: bool = True,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if scale_init <= 0:
            raise ValueError(f'PatchGrounding: scale_init must be positive, got {scale_init}')
        log_scale = torch.tensor(math.log(scale_init))
        bias = torch.tensor(float(bias_init))
        if learnable:
            self.log_scale = nn.Parameter(log_scale)
            self.bias = nn.Parameter(bias)
        else:
            self.register_buffer('log_scale', log_scale)
            self.register_buffer('bias', bias)

    def forward(self, patch_map: Tensor, sent_feat: Tensor) -> Tensor:
        """Args: patch_map (B, d, h, w) joint-space patch features; sent_feat (B, d).

        Returns:
            Tensor: (B, 1, h, w) grounding logits.
        """
        # In float32 even under bf16 autocast: the cosine is scaled by ~10 into logits.
        with torch.autocast(patch_map.device.type, enabled=False):
            cosine = torch.einsum(
                'bdhw,bd->bhw',
                F.normalize(patch_map.float(), dim=1),
                F.normalize(sent_feat.float(), dim=-1),
            )
            return (self.log_scale.exp() * cosine + self.bias)[:, None]


class TokenMapNorm(nn.LayerNorm):
    """LayerNorm over the channels of a (B, C, h, w) map (a token-wise LayerNorm)."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@MODELS.register_module()
class RISCLIPDecoder(BaseModule):
    """Light decoder: predicts a residual on the upsampled grounding logits at H/4.

    .. code:: text

        [Conv1x1(LN(F_k)) for k in levels] + Conv1x1(V_ske) + z  -> ConvBNReLU  (h x w, C)
        resize to H/8, concat up(z)                              -> ConvBNReLU  (C_mid)
        resize to H/4, concat RGB stem (stride 4) and up(z)      -> ConvBNReLU  (C_mid)
        Conv1x1 + up(z)                                          -> logits at H/4

    Args:
        image_dims (int): D_v, ViT width of the multi-level features.
        num_levels (int): Number of ViT feature levels.
        embed_dims (int): d, width of the SKE image tokens.
        channels (int): C at the patch scale. Defaults to 128.
        mid_channels (int): Width at H/8 and H/4. Defaults to 64.
        stem_channels (int): Width of the RGB stem. Defaults to 32.
        norm_cfg (dict): Norm of the conv blocks. Defaults to BN.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        image_dims: int,
        num_levels: int,
        embed_dims: int,
        channels: int = 128,
        mid_channels: int = 64,
        stem_channels: int = 32,
        norm_cfg: ConfigType = dict(type='BN'),
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.level_projs = nn.ModuleList(
            nn.Sequential(TokenMapNorm(image_dims), nn.Conv2d(image_dims, channels, 1))
            for _ in range(num_levels)
        )
        self.joint_proj = nn.Conv2d(embed_dims, channels, 1)
        fused_in = channels * (num_levels + 1) + 1
        self.fuse_patch = ConvModule(fused_in, channels, 3, padding=1, norm_cfg=norm_cfg)
        self.fuse_eighth = ConvModule(channels + 1, mid_channels, 3, padding=1, norm_cfg=norm_cfg)
        self.rgb_stem = nn.Sequential(
            ConvModule(3, stem_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg),
            ConvModule(stem_channels, stem_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg),
        )
        self.fuse_quarter = ConvModule(
            mid_channels + stem_channels + 1, mid_channels, 3, padding=1, norm_cfg=norm_cfg
        )
        self.residual = nn.Conv2d(mid_channels, 1, 1)
        # A zero residual makes the untrained decoder reproduce the stage-1 prediction.
        nn.init.zeros_(self.residual.weight)
        nn.init.zeros_(self.residual.bias)

    def forward(
        self, grounding: Tensor, level_maps: Sequence[Tensor], joint_map: Tensor, images: Tensor
    ) -> Tensor:
        """Decode.

        Args:
            grounding (Tensor): z, (B, 1, h, w) grounding logits.
            level_maps (Sequence[Tensor]): ViT token maps, each (B, D_v, h, w).
            joint_map (Tensor): SKE image tokens as a map, (B, d, h, w).
            images (Tensor): (B, 3, H, W) normalised input images.

        Returns:
            Tensor: (B, 1, H/4, W/4) mask logits.
        """
        if len(level_maps) != len(self.level_projs):
            raise ValueError(
                f'RISCLIPDecoder was built for {len(self.level_projs)} '
                f'feature levels, got {len(level_maps)}'
            )
        height, width = images.shape[-2:]
        eighth = (math.ceil(height / 8), math.ceil(width / 8))
        stem = self.rgb_stem(images)
        quarter = stem.shape[-2:]
        projected = [
            proj(level.to(grounding.dtype)) for proj, level in zip(self.level_projs, level_maps)
        ]
        x = self.fuse_patch(
            torch.cat(projected + [self.joint_proj(joint_map.to(grounding.dtype)), grounding], 1)
        )
        x = self.fuse_eighth(torch.cat([_resize(x, eighth), _resize(grounding, eighth)], 1))
        grounding_quarter = _resize(grounding, quarter)
        x = self.fuse_quarter(torch.cat([_resize(x, quarter), stem, grounding_quarter], 1))
        return self.residual(x) + grounding_quarter


def _resize(x: Tensor, size: Tuple[int, int]) -> Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=False)


@MODELS.register_module()
class RISCLIPHead(BaseRefHead):
    """Grounding map (stage 1) and light decoder (stage 2) of RISCLIP.

    Reads these keys of the feature dict of :class:`RISCLIPSegmentor`:
    ``vis_feats`` (B, d, h, w) SKE patch features, ``sent_feat`` (B, d) SKE EOT feature,
    ``img_feats`` tuple of (B, D_v, h, w) ViT maps and ``inputs`` (B, 3, H, W).

    Args:
        image_dims (int): D_v, ViT width.
        embed_dims (int): d, CLIP's joint dim.
        num_levels (int): Number of ViT feature levels given to the decoder.
        stage (int): 1 trains the grounding map on the patch grid and builds no
            decoder; 2 trains the decoder at full resolution. Set by the segmentor.
        grounding (dict): :class:`PatchGrounding` config (``type`` defaults to it).
        decoder (dict): :class:`RISCLIPDecoder` config without the widths read from
            here (``image_dims``, ``num_levels``, ``embed_dims``; ``type`` defaults to
            it).
        patch_target (str): Stage-1 target on the patch grid from the (B, 1, H, W) mask
            pooled over each patch: ``'soft'`` (covered fraction, default),
            ``'binary'`` (fraction >= 0.5) or ``'any'`` (fraction > 0).
        loss_decode (dict | list[dict]): Losses on logits and [0, 1] targets.
            Default 1.75 * focal (alpha 0.65, gamma 2) + 1.0 * dice.
        threshold (float): Probability threshold of the predicted mask. Defaults to 0.5.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    patch_targets = ('soft', 'binary', 'any')

    def __init__(
        self,
        image_dims: int,
        embed_dims: int,
        num_levels: int,
        stage: int = 1,
        grounding: ConfigType = dict(type='PatchGrounding'),
        decoder: ConfigType = dict(type='RISCLIPDecoder'),
        patch_target: str = 'soft',
        loss_decode: MultiConfig = (
            dict(type='SigmoidFocalLoss', alpha=0.65, gamma=2.0, loss_weight=1.75),
            dict(type='BinaryDiceLoss', loss_weight=1.0),
        ),
        threshold: float = 0.5,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(loss_decode=loss_decode, threshold=threshold, init_cfg=init_cfg)
        if stage not in (1, 2):
            raise ValueError(f'RISCLIPHead: stage must be 1 or 2, got {stage!r}')
        if patch_target not in self.patch_targets:
            raise ValueError(
                f'RISCLIPHead: patch_target must be one of '
                f'{self.patch_targets}, got {patch_target!r}'
            )
        self.stage = stage
        self.patch_target = patch_target
        self.grounding = MODELS.build(dict(dict(type='PatchGrounding'), **grounding))
        if stage == 2:
            self.decoder = MODELS.build(
                dict(
                    dict(type='RISCLIPDecoder'),
                    **decoder,
                    image_dims=image_dims,
                    num_levels=num_levels,
                    embed_dims=embed_dims,
                )
            )

    def forward(self, feats: Dict) -> Tensor:
        """Mask logits: (B, 1, h, w) grounding logits in stage 1, (B, 1, H/4, W/4)
        decoder logits in stage 2."""
        grounding = self.grounding(feats['vis_feats'], feats['sent_feat'])
        if self.stage == 1:
            return grounding
        # No detach: with the stage-1 parts frozen the grounding carries no graph anyway,
        # and when they are fine-tuned (0.1x lr) their gradient must flow.
        return self.decoder(grounding, feats['img_feats'], feats['vis_feats'], feats['inputs'])

    def match_target(
        self, logits: Tensor, target: Tensor, feats: Dict[str, Tensor]
    ) -> Tuple[Tensor, Tensor]:
        """Stage 1 pools the (B, 1, H, W) mask to the patch grid (``patch_target``);
        stage 2 upsamples the logits bilinearly to the mask."""
        size = tuple(feats['inputs'].shape[-2:])
        if tuple(target.shape[-2:]) != size:
            raise ValueError(
                f'RISCLIPHead.loss: masks of size {tuple(target.shape[-2:])}, '
                f'expected the input size {size} (letterbox the mask with '
                'the image)'
            )
        if self.stage == 1:
            return logits, self._patch_target(target, logits.shape[-2:])
        return _resize(logits, size), target

    def loss_by_feat(self, logits: Tensor, target: Tensor) -> Dict[str, Tensor]:
        """The losses plus ``iou``, for logging only: the mean per-sample IoU of
        ``logit > 0`` against ``target > 0.5`` (an empty union counts as 1)."""
        losses = super().loss_by_feat(logits, target)
        losses['iou'] = _mean_iou(logits.detach() > 0, target > 0.5)
        return losses

    def predict_by_feat(self, logits: Tensor, feats: Dict[str, Tensor]) -> Tensor:
        """(B, 1, H, W) mask logits at the network input size (bilinear upsampling)."""
        return _resize(logits, feats['inputs'].shape[-2:])

    def _patch_target(self, mask: Tensor, grid: Tuple[int, int]) -> Tensor:
        """Pool a (B, 1, H, W) mask to the (h, w) patch grid as ``patch_target`` says."""
        covered = F.adaptive_avg_pool2d(mask, tuple(grid))
        if self.patch_target == 'binary':
            return (covered >= 0.5).float()
        if self.patch_target == 'any':
            return (covered > 0).float()
        return covered


def _mean_iou(pred: Tensor, target: Tensor) -> Tensor:
    pred, target = pred.flatten(1), target.flatten(1)
    intersection = (pred & target).sum(1).float()
    union = (pred | target).sum(1).float()
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.ones_like(union)).mean()
