"""The contract every referring decode head follows."""

from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, MultiConfig, OptMultiConfig, SampleList
from torch import Tensor

from ..losses.focal_dice import build_losses


class BaseRefHead(BaseModule, metaclass=ABCMeta):
    """Base class of referring heads: one sigmoid logit per pixel for the referent.

    A head reads the feature dict of ``RefSegmentor.encode`` (``vis_feats``,
    ``word_feats``, ``pad_mask``, ``sent_feat``, ...) and returns (B, 1, h, w) logits.
    Subclasses implement :meth:`forward` and, where their logits and the mask differ in
    size, :meth:`match_target`; training and prediction are shared:

    .. code:: text

        loss:    forward ─► logits ┐
                 stack_targets ────┴─► match_target ─► loss_by_feat ─► {name: value}
        predict: forward ─► predict_by_feat ─► logits (the segmentor applies the sigmoid)

    Args:
        loss_decode (dict | list[dict]): Loss config(s); each loss is called as
            ``loss(logits, target)`` on (B, 1, h, w) logits and float targets in [0, 1]
            (see :meth:`compute_loss`) and needs a distinct ``loss_name``.
        threshold (float): Probability above which a pixel belongs to the referent, in
            [0, 1].
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(
        self, loss_decode: MultiConfig, threshold: float, init_cfg: OptMultiConfig = None
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(
                f'{type(self).__name__}: threshold is a probability and must '
                f'lie in [0, 1], got {threshold}'
            )
        self.threshold = float(threshold)
        self.loss_decode: nn.ModuleList = build_losses(loss_decode)

    @abstractmethod
    def forward(self, feats: Dict[str, Tensor]) -> Tensor:
        """Feature dict -> (B, 1, h, w) mask logits."""

    # ---------------------------------------------------------------- training
    def loss(
        self,
        feats: Dict[str, Tensor],
        data_samples: SampleList,
        train_cfg: Optional[ConfigType] = None,
    ) -> Dict[str, Tensor]:
        """Losses of the logits against the samples' ``gt_sem_seg``.

        Args:
            feats (dict): Feature dict of the segmentor.
            data_samples (list[SegDataSample]): Samples carrying ``gt_sem_seg``.
            train_cfg (dict, optional): Unused; part of mmseg's head interface.

        Returns:
            dict[str, Tensor]: One entry per loss (see :meth:`loss_by_feat`).
        """
        logits, target = self.match_target(
            self.forward(feats), self.stack_targets(data_samples), feats
        )
        return self.loss_by_feat(logits, target)

    def stack_targets(self, data_samples: SampleList) -> Tensor:
        """The samples' masks as one float (B, 1, H, W) tensor with values in [0, 1].

        Raises:
            KeyError: If a sample has no ``gt_sem_seg``.
            ValueError: If the masks differ in size or a value lies outside [0, 1].
        """
        name = type(self).__name__
        masks = []
        for i, sample in enumerate(data_samples):
            if 'gt_sem_seg' not in sample:
                raise KeyError(f'{name}.loss: data sample {i} has no gt_sem_seg')
            mask = sample.gt_sem_seg.data
            masks.append(mask[None] if mask.dim() == 2 else mask)
        sizes = {tuple(mask.shape) for mask in masks}
        if len(sizes) != 1:
            raise ValueError(
                f'{name}.loss: the masks of one batch must share a size, got {sorted(sizes)}'
            )
        target = torch.stack(masks).float()
        low, high = torch.stack(torch.aminmax(target)).tolist()  # one device sync
        if low < 0 or high > 1:
            raise ValueError(
                f'{name} targets must lie in [0, 1], got values in [{low}, {high}]: '
                'gt_sem_seg should be the binary (or soft) referent mask'
            )
        return target

    def match_target(
        self, logits: Tensor, target: Tensor, feats: Dict[str, Tensor]
    ) -> Tuple[Tensor, Tensor]:
        """Bring (B, 1, h, w) logits and the (B, 1, H, W) target to one size.

        The base class requires them to match already; heads whose logits are smaller
        than the mask say here how they are compared.
        """
        if logits.shape[-2:] != target.shape[-2:]:
            raise ValueError(
                f'{type(self).__name__}: logits of size '
                f'{tuple(logits.shape[-2:])} and masks of size '
                f'{tuple(target.shape[-2:])}; override match_target'
            )
        return logits, target

    def loss_by_feat(self, logits: Tensor, target: Tensor) -> Dict[str, Tensor]:
        """Each loss of ``loss_decode`` on same-size logits and target, by loss name."""
        return {
            loss.loss_name: self.compute_loss(loss, logits, target) for loss in self.loss_decode
        }

    def compute_loss(self, loss: nn.Module, logits: Tensor, target: Tensor) -> Tensor:
        """One loss on (B, 1, h, w) logits and targets; override for another layout."""
        return loss(logits, target)

    # --------------------------------------------------------------- inference
    def predict(
        self,
        feats: Dict[str, Tensor],
        batch_img_metas: List[dict],
        test_cfg: Optional[ConfigType] = None,
    ) -> Tensor:
        """(B, 1, h, w) mask logits; the segmentor applies the sigmoid, brings them to
        the input size and back to each original image."""
        return self.predict_by_feat(self.forward(feats), feats)

    def predict_by_feat(self, logits: Tensor, feats: Dict[str, Tensor]) -> Tensor:
        """Post-process the logits of :meth:`forward`; unchanged by default."""
        return logits
