"""CRIS head: vision-language decoder + text-to-pixel projector."""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.utils import (ConfigType, MultiConfig, OptConfigType, OptMultiConfig,
                         SampleList)
from torch import Tensor

from refseg.registry import MODELS
from ..losses.focal_dice import build_losses


@MODELS.register_module()
class CRISHead(BaseDecodeHead):
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
        in_channels (int): Width of ``vis_feats``. Defaults to 512.
        channels (int): Width of the decoder output; equals ``in_channels``.
            Defaults to 512.
        decoder (dict, optional): ``VLTransformerDecoder`` config; None skips the
            decoder (the "w/o decoder" ablation). Defaults to the paper's decoder.
        projector (dict): ``TextPixelProjector`` or ``ConvProjector`` config.
            Defaults to the RN50 ``TextPixelProjector``.
        num_classes (int): 2 (background, referent). Defaults to 2.
        out_channels (int): 1, a single sigmoid logit. Defaults to 1.
        threshold (float): Probability threshold for the mask. Defaults to 0.35.
        loss_decode (dict | list[dict]): Loss config(s), called as
            ``loss(logits (B,1,h,w), target (B,h,w) float)``. Defaults to
            ``mmseg.CrossEntropyLoss`` with ``use_sigmoid=True``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 512,
                 channels: int = 512,
                 *,
                 decoder: OptConfigType = dict(type='VLTransformerDecoder'),
                 projector: ConfigType = dict(type='TextPixelProjector'),
                 num_classes: int = 2,
                 out_channels: int = 1,
                 threshold: float = 0.35,
                 loss_decode: MultiConfig = dict(
                     type='mmseg.CrossEntropyLoss', use_sigmoid=True,
                     avg_non_ignore=True, loss_weight=1.0),
                 init_cfg: OptMultiConfig = None) -> None:
        if out_channels != 1:
            raise ValueError(f'CRISHead predicts one sigmoid logit: out_channels must '
                             f'be 1, got {out_channels}')
        if channels != in_channels:
            raise ValueError(f'CRISHead: the decoder keeps the width, so channels '
                             f'({channels}) must equal in_channels ({in_channels})')
        super().__init__(
            in_channels,
            channels,
            num_classes=num_classes,
            out_channels=out_channels,
            threshold=threshold,
            dropout_ratio=0,
            loss_decode=[],
            init_cfg=init_cfg)
        # Built here rather than by BaseDecodeHead, whose mmseg build_loss warns on every
        # model build that it is deprecated.
        self.loss_decode = build_losses(loss_decode)
        # the projector replaces BaseDecodeHead's 1x1 classifier
        del self.conv_seg
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
        missing = [key for key in ('vis_feats', 'word_feats', 'pad_mask', 'sent_feat')
                   if key not in feats]
        if missing:
            raise KeyError(f'CRISHead needs features {missing}; got {sorted(feats)}')
        vis_feats = feats['vis_feats']
        if not isinstance(vis_feats, Tensor) or vis_feats.dim() != 4:
            raise ValueError('CRISHead expects vis_feats as one (B, C, h, w) map (a '
                             'neck such as CRISNeck must be configured), got '
                             f'{type(vis_feats).__name__}')
        if self.decoder is not None:
            vis_feats = self.decoder(vis_feats, feats['word_feats'], feats['pad_mask'])
        return self.projector(vis_feats, feats['sent_feat'])

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: SampleList) -> dict:
        """Binary cross-entropy against the (soft) masks, at the logit size.

        Args:
            seg_logits (Tensor): (B, 1, h, w) logits.
            batch_data_samples (list[SegDataSample]): Samples whose ``gt_sem_seg``
                is (1, H, W), float in [0, 1] or integer in {0, 1}.

        Returns:
            dict[str, Tensor]: One entry per loss, keyed by its ``loss_name``.
        """
        target = self._stack_batch_gt(batch_data_samples).float()
        low, high = torch.stack(torch.aminmax(target)).tolist()  # one device sync
        if low < 0 or high > 1:
            raise ValueError(
                f'CRISHead targets must lie in [0, 1], got values in [{low}, {high}]: '
                'gt_sem_seg should be the binary (or soft) referent mask')
        if target.shape[-2:] != seg_logits.shape[-2:]:
            # nearest samples input pixel (4i, 4j) for a x4 reduction, as CRIS
            target = F.interpolate(target, size=seg_logits.shape[-2:], mode='nearest')
        target = target.squeeze(1)
        losses = dict()
        for loss_decode in self.loss_decode:
            value = loss_decode(seg_logits, target, ignore_index=self.ignore_index)
            losses[loss_decode.loss_name] = losses.get(loss_decode.loss_name, 0) + value
        return losses

    def predict_by_feat(self, seg_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Return the (B, 1, h, w) logits unchanged; ``RefSegmentor`` brings them to
        the input size and back to each original image."""
        return seg_logits
