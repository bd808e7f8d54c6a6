"""Binary mask losses on logits that accept soft (fractional) targets.

mmseg's ``FocalLoss`` routes through ``mmcv.ops.sigmoid_focal_loss`` for class-index targets,
which has no CPU kernel, and neither it nor ``DiceLoss`` is written for soft targets
(RISCLIP's area-pooled patch targets, CRIS's soft letterbox borders). These two losses are.
"""

from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from refseg.registry import MODELS


def _check_pair(logits: Tensor, target: Tensor, loss_name: str) -> Tensor:
    """Validate shapes and return the target as a float tensor like ``logits``."""
    if logits.shape != target.shape:
        raise ValueError(
            f'{loss_name}: logits {tuple(logits.shape)} and target '
            f'{tuple(target.shape)} must have the same shape'
        )
    target = target.to(logits.dtype)
    if target.numel() and (target.min() < 0 or target.max() > 1):
        raise ValueError(
            f'{loss_name}: target values must lie in [0, 1], got range '
            f'[{target.min().item():.3g}, {target.max().item():.3g}]'
        )
    return target


def sigmoid_focal_loss(
    logits: Tensor, target: Tensor, gamma: float = 2.0, alpha: Optional[float] = 0.25
) -> Tensor:
    """Element-wise sigmoid focal loss on logits.

    For a soft target ``y`` in [0, 1] the modulating factor is ``|y - p|**gamma`` and the
    class weight ``alpha*y + (1-alpha)*(1-y)``; for ``y`` in {0, 1} this is exactly the
    usual ``alpha_t * (1 - p_t)**gamma * BCE``.

    Args:
        logits (Tensor): Logits of any shape.
        target (Tensor): Targets in [0, 1], same shape.
        gamma (float): Focusing exponent; 0 gives (alpha-weighted) BCE.
        alpha (float, optional): Weight of the positive term; None for no weighting.

    Returns:
        Tensor: Loss per element, same shape as ``logits``.
    """
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    loss = bce * (target - logits.sigmoid()).abs().pow(gamma) if gamma else bce
    if alpha is not None:
        loss = loss * (alpha * target + (1 - alpha) * (1 - target))
    return loss


def soft_dice_loss(logits: Tensor, target: Tensor, smooth: float = 1.0) -> Tensor:
    """Per-sample dice loss ``1 - (2|P∩Y| + s) / (|P| + |Y| + s)`` on sigmoid probabilities.

    Args:
        logits (Tensor): (B, ...) logits.
        target (Tensor): (B, ...) targets in [0, 1].
        smooth (float): Additive smoothing; keeps empty masks finite.

    Returns:
        Tensor: (B, ) loss per sample.
    """
    probs = logits.sigmoid().flatten(1)
    target = target.flatten(1)
    overlap = (probs * target).sum(1)
    total = probs.sum(1) + target.sum(1)
    return 1 - (2 * overlap + smooth) / (total + smooth)


@MODELS.register_module()
class SigmoidFocalLoss(nn.Module):
    """Sigmoid focal loss for binary masks, averaged over all elements.

    Args:
        gamma (float): Focusing exponent. Defaults to 2.0.
        alpha (float, optional): Positive-class weight; None disables it. Defaults to 0.25.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Key of this loss in the loss dict. Defaults to ``'loss_focal'``.
    """

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: Optional[float] = 0.25,
        loss_weight: float = 1.0,
        loss_name: str = 'loss_focal',
    ) -> None:
        super().__init__()
        if gamma < 0:
            raise ValueError(f'SigmoidFocalLoss: gamma must be >= 0, got {gamma}')
        if alpha is not None and not 0 <= alpha <= 1:
            raise ValueError(f'SigmoidFocalLoss: alpha must be in [0, 1] or None, got {alpha}')
        self.gamma = gamma
        self.alpha = alpha
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        """Args: logits (B, 1, H, W); target (B, 1, H, W) in [0, 1]. Returns a scalar."""
        target = _check_pair(logits, target, type(self).__name__)
        loss = sigmoid_focal_loss(logits.float(), target.float(), self.gamma, self.alpha)
        return self.loss_weight * loss.mean()


@MODELS.register_module()
class BinaryDiceLoss(nn.Module):
    """Dice loss computed per sample and averaged over the batch.

    Args:
        smooth (float): Additive smoothing in numerator and denominator. Defaults to 1.0.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Key of this loss in the loss dict. Defaults to ``'loss_dice'``.
    """

    def __init__(
        self, smooth: float = 1.0, loss_weight: float = 1.0, loss_name: str = 'loss_dice'
    ) -> None:
        super().__init__()
        self.smooth = smooth
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        """Args: logits (B, 1, H, W); target (B, 1, H, W) in [0, 1]. Returns a scalar."""
        target = _check_pair(logits, target, type(self).__name__)
        loss = soft_dice_loss(logits.float(), target.float(), self.smooth)
        return self.loss_weight * loss.mean()


def build_losses(loss_cfgs) -> nn.ModuleList:
    """Build a list of losses from a config dict or a list of them.

    Raises:
        ValueError: If two losses share a ``loss_name`` (one would hide the other in
            the loss dict).
    """
    if isinstance(loss_cfgs, dict):
        loss_cfgs = [loss_cfgs]
    losses = nn.ModuleList([MODELS.build(cfg) for cfg in loss_cfgs])
    names = [loss.loss_name for loss in losses]
    if len(set(names)) != len(names):
        raise ValueError(f'losses need distinct loss_name values, got {names}')
    return losses
