"""CRIS head: vision-language decoder + text-to-pixel projector."""

from typing import Dict, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.losses import CrossEntropyLoss
from mmseg.utils import ConfigType, MultiConfig, OptConfigType, OptMultiConfig
from torch import Tensor

from refseg.registry import MODELS

from .base_ref_head import BaseRefHead


@MODELS.register_module()
class CRISHead(BaseRefHead):
    """CRIS decode head.

    .. code:: text

        vis_feats (B,C,H/16,W/16) ─► decoder(·, word_feats, pad_mask) ─► Fc
        Fc, sent_feat ─► projector ─► logits (B,1,H/4,W/4)

    Training uses one binary cross-entropy on the logits against the letterboxed mask
    resized to the logit size with ``mode='nearest'`` (it samples input pixel 4i, as
    the official code). The targets may be soft (values in [0, 1] at the borders of
    the bilinearly warped mask); ``mmseg.CrossEntropyLoss(use_sigmoid=True)`` then
    equals ``F.binary_cross_entropy_with_logits(logits, target)`` averaged over
    B x h x w. No pixel is ignored: the letterbox border is background (0), so
    ``ignore_index`` plays no part and ``avg_non_ignore=True`` (set to keep mmseg from
    warning about its default) averages over the same B x h x w pixels.

    Args:
        in_channels (int): Width C of ``vis_feats``, checked on every forward.
            Defaults to 512.
        decoder (dict, optional): ``VLTransformerDecoder`` config; None skips the
            decoder (the "w/o decoder" ablation). Defaults to the paper's decoder.
        projector (dict): ``TextPixelProjector`` or ``ConvProjector`` config.
            Defaults to the RN50 ``TextPixelProjector``.
        threshold (float): Probability threshold for the mask. Defaults to 0.35.
        loss_decode (dict | list[dict]): Loss config(s), called as
            ``loss(logits (B,1,h,w), target (B,h,w) float)``. Defaults to
            ``mmseg.CrossEntropyLoss`` with ``use_sigmoid=True``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        in_channels: int = 512,
        *,
        decoder: OptConfigType = dict(type='VLTransformerDecoder'),
        projector: ConfigType = dict(type='TextPixelProjector'),
        threshold: float = 0.35,
        loss_decode: MultiConfig = dict(
            type='mmseg.CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True, loss_weight=1.0
        ),
        init_cfg: OptMultiConfig = None,
    ) -> None:
        super().__init__(loss_decode=loss_decode, threshold=threshold, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.decoder = MODELS.build(decoder) if decoder is not None else None
        self.projector = MODELS.build(projector)

    def forward(self, feats: Dict[str, Tensor]) -> Tensor:
        """Predict mask logits.

        Args:
            feats (dict): ``vis_feats`` (B, C, h, w), ``word_feats`` (B, L, Cw),
                ``pad_mask`` (B, L) bool and ``sent_feat`` (B, Cs), as returned by
                ``RefSegmentor.extract_feat``.

        Returns:
            Tensor: (B, 1, 4h, 4w) logits.
        """
        missing = [
            key for key in ('vis_feats', 'word_feats', 'pad_mask', 'sent_feat') if key not in feats
        ]
        if missing:
            raise KeyError(f'CRISHead needs features {missing}; got {sorted(feats)}')
        vis_feats = feats['vis_feats']
        if not isinstance(vis_feats, Tensor) or vis_feats.dim() != 4:
            raise ValueError(
                'CRISHead expects vis_feats as one (B, C, h, w) map (a '
                'neck such as CRISNeck must be configured), got '
                f'{type(vis_feats).__name__}'
            )
        if vis_feats.shape[1] != self.in_channels:
            raise ValueError(
                f'CRISHead was built for in_channels={self.in_channels} but '
                f'vis_feats has {vis_feats.shape[1]} channels'
            )
        if self.decoder is not None:
            vis_feats = self.decoder(vis_feats, feats['word_feats'], feats['pad_mask'])
        return self.projector(vis_feats, feats['sent_feat'])

    def match_target(
        self, logits: Tensor, target: Tensor, feats: Dict[str, Tensor]
    ) -> Tuple[Tensor, Tensor]:
        """Resize the (B, 1, H, W) mask to the logits with ``'nearest'``, which samples
        input pixel (4i, 4j) for a x4 reduction, as CRIS."""
        if target.shape[-2:] != logits.shape[-2:]:
            target = F.interpolate(target, size=logits.shape[-2:], mode='nearest')
        return logits, target

    def compute_loss(self, loss: nn.Module, logits: Tensor, target: Tensor) -> Tensor:
        # mmseg's CrossEntropyLoss(use_sigmoid=True) pairs a (B, 1, h, w) logit with
        # (B, h, w) labels; refseg's losses take (B, 1, h, w) targets.
        if isinstance(loss, CrossEntropyLoss):
            return loss(logits, target.squeeze(1))
        return loss(logits, target)
