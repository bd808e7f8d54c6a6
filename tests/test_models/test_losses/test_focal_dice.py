"""Sigmoid focal and binary Dice losses (RISCLIP)."""

import pytest
import torch
import torch.nn.functional as F

from refseg.models.losses.focal_dice import BinaryDiceLoss, SigmoidFocalLoss, sigmoid_focal_loss


def test_focal_matches_textbook_formula_on_binary_targets():
    logits = torch.randn(2, 1, 5, 5)
    target = (torch.rand(2, 1, 5, 5) > 0.5).float()
    prob = logits.sigmoid()
    p_t = torch.where(target > 0, prob, 1 - prob)
    alpha_t = torch.where(target > 0, torch.tensor(0.65), torch.tensor(0.35))
    expected = (-alpha_t * (1 - p_t) ** 2 * torch.log(p_t)).mean()
    loss = SigmoidFocalLoss(alpha=0.65, gamma=2.0, loss_weight=1.75)(logits, target)
    torch.testing.assert_close(loss, 1.75 * expected, rtol=1e-5, atol=1e-6)


def test_focal_soft_target_is_zero_when_prediction_equals_target():
    target = torch.rand(3, 1, 4, 4) * 0.8 + 0.1
    loss = sigmoid_focal_loss(torch.logit(target), target, gamma=2.0, alpha=0.65)
    assert loss.abs().max() < 1e-6
    # ... and gamma=0 without alpha is plain BCE.
    logits = torch.randn(3, 1, 4, 4)
    torch.testing.assert_close(
        sigmoid_focal_loss(logits, target, gamma=0.0, alpha=None),
        F.binary_cross_entropy_with_logits(logits, target, reduction='none'),
    )


def test_dice_is_per_sample():
    big = torch.full((1, 1, 8, 8), 20.0)  # sigmoid ~ 1
    logits = torch.cat([big, -big])
    target = torch.cat([torch.ones(1, 1, 8, 8), torch.zeros(1, 1, 8, 8)])
    # Both samples are predicted exactly: per-sample dice (smooth 1) is ~0 for each.
    assert BinaryDiceLoss()(logits, target) < 1e-3
    # Only the first sample wrong: its dice is ~1, the other's 0, the mean ~0.5 (a dice
    # over the whole batch would be ~1).
    wrong = BinaryDiceLoss()(logits, torch.zeros_like(target))
    assert 0.45 < wrong < 0.55


def test_losses_reject_bad_targets():
    logits = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match='same shape'):
        SigmoidFocalLoss()(logits, torch.zeros(1, 1, 4, 5))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        BinaryDiceLoss()(logits, torch.full((1, 1, 4, 4), 255.0))
