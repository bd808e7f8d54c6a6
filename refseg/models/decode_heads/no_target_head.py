"""No-target head: does the expression name anything in the image (gRefCOCO)?"""

from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from refseg.registry import MODELS


@MODELS.register_module()
class NoTargetHead(BaseModule):
    """Predicts whether an expression has no target, from the fused features.

    .. code:: text

        sent_feat (B,Ct) ─► Linear ─► query (B,1,C) ─┐
        vis_feats (B,Cv,h,w) ─► 1x1 conv ─► tokens ──┴─► cross-attention ─► LN ─┐
                                            tokens ─► mean ─► LN ───────────────┴─► MLP ─► logit

    The sentence feature attends over the cross-modal visual features (CRIS: the neck
    output; RISCLIP: the SKE patch features), so the decision sees what the expression
    asks for and what the image holds. Trained with a sigmoid BCE beside the mask loss;
    the label is the sample's ``no_target`` metainfo, or an empty ``gt_sem_seg`` where
    that is absent. At inference :meth:`gate` writes ``no_target_score`` (the no-target
    probability) and ``pred_no_target`` (bool, the score passes ``threshold``) into each
    data sample and zeroes the mask probabilities of the no-target ones, so their
    predicted mask is empty.

    Args:
        in_channels (int): Cv, width of the visual features.
        text_channels (int): Ct, width of ``sent_feat``.
        channels (int): C, width of the attention. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        feature_key (str): Visual features in the segmentor's feature dict.
            Defaults to 'vis_feats'.
        threshold (float): No-target probability above which the mask is emptied.
            Defaults to 0.5.
        mask_loss_on_targets_only (bool): The segmentor's mask loss sees only the
            samples with a target, so the mask decoder never learns to answer "no target"
            with an empty map and the head alone decides. Defaults to False (the mask
            loss sees every sample, empty targets included).
        loss_decode (dict): Loss called as ``loss(logits (B, 1, 1, 1), labels (B, 1, 1))``
            with float labels. Defaults to ``mmseg.CrossEntropyLoss`` with
            ``use_sigmoid=True``, named ``loss_no_target``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        in_channels: int,
        text_channels: int,
        channels: int = 256,
        num_heads: int = 8,
        feature_key: str = 'vis_feats',
        threshold: float = 0.5,
        mask_loss_on_targets_only: bool = False,
        loss_decode: ConfigType = dict(
            type='mmseg.CrossEntropyLoss',
            use_sigmoid=True,
            loss_weight=1.0,
            avg_non_ignore=True,
            loss_name='loss_no_target',
        ),
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < threshold < 1:
            raise ValueError(
                f'NoTargetHead: threshold must be a probability in (0, 1), got {threshold!r}'
            )
        self.feature_key = feature_key
        self.threshold = threshold
        self.mask_loss_on_targets_only = mask_loss_on_targets_only
        self.visual_proj = nn.Conv2d(in_channels, channels, 1)
        self.text_proj = nn.Linear(text_channels, channels)
        self.attention = nn.MultiheadAttention(channels, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(channels)
        self.classifier = nn.Sequential(
            nn.Linear(2 * channels, channels), nn.ReLU(inplace=True), nn.Linear(channels, 1)
        )
        self.loss_decode = MODELS.build(loss_decode)

    def forward(self, feats: Dict[str, Tensor]) -> Tensor:
        """No-target logits.

        Args:
            feats (dict): ``feature_key`` (B, Cv, h, w) and ``sent_feat`` (B, Ct).

        Returns:
            Tensor: (B,) logits; sigmoid gives the no-target probability.
        """
        missing = [k for k in (self.feature_key, 'sent_feat') if k not in feats]
        if missing:
            raise KeyError(f'NoTargetHead needs features {missing}; got {sorted(feats)}')
        vis_feats = feats[self.feature_key]
        if isinstance(vis_feats, (tuple, list)):
            vis_feats = vis_feats[-1]
        tokens = self.visual_proj(vis_feats).flatten(2).transpose(1, 2)  # (B, hw, C)
        query = self.text_proj(feats['sent_feat'])[:, None]  # (B, 1, C)
        attended, _ = self.attention(query, tokens, tokens)
        pooled = self.norm(query + attended)[:, 0]
        # The global average keeps a path for "is anything like this here at all".
        context = self.norm(tokens.mean(1))
        return self.classifier(torch.cat([pooled, context], dim=-1))[:, 0]

    @staticmethod
    def labels(data_samples: SampleList) -> Tensor:
        """(B,) float: 1 for a no-target sample, 0 otherwise."""
        labels = []
        for sample in data_samples:
            no_target = sample.metainfo.get('no_target')
            if no_target is None:
                if 'gt_sem_seg' not in sample:
                    raise KeyError(
                        'NoTargetHead: a training sample has neither '
                        '"no_target" in its metainfo nor a gt_sem_seg'
                    )
                no_target = not bool((sample.gt_sem_seg.data > 0.5).any())
            labels.append(float(no_target))
        return torch.tensor(labels)

    def loss(self, feats: Dict[str, Tensor], data_samples: SampleList) -> Dict[str, Tensor]:
        """BCE of the no-target logits; keyed by the loss's ``loss_name``."""
        logits = self.forward(feats)
        labels = self.labels(data_samples).to(logits.device)
        # As one-pixel (B, 1, 1, 1) logit maps, the shape mmseg's sigmoid losses expect.
        loss = self.loss_decode(logits[:, None, None, None], labels[:, None, None])
        return {self.loss_decode.loss_name: loss}

    def gate(self, feats: Dict[str, Tensor], probs: Tensor, data_samples: Sequence) -> Tensor:
        """Empty the masks of the expressions judged to have no target.

        Args:
            feats (dict): The segmentor's features.
            probs (Tensor): (B, 1, H, W) mask probabilities.
            data_samples (Sequence[SegDataSample]): Receive ``no_target_score`` (float)
                and ``pred_no_target`` (bool).

        Returns:
            Tensor: ``probs`` with the no-target samples' maps set to 0.
        """
        return gate_probs(self.forward(feats), probs, data_samples, self.threshold)


def gate_probs(logits: Tensor, probs: Tensor, data_samples: Sequence, threshold: float) -> Tensor:
    """The no-target decision from (B,) logits, shared by PyTorch and ONNX serving.

    Writes ``no_target_score`` (the sigmoid of the logit) and ``pred_no_target`` (the
    score is above ``threshold``) into each data sample and returns ``probs`` (B, 1, H, W)
    with the maps of the no-target samples set to 0.
    """
    scores = logits.float().sigmoid()
    for sample, score in zip(data_samples, scores.tolist()):
        sample.set_field(score, 'no_target_score')
        sample.set_field(score > threshold, 'pred_no_target')
    keep = (scores <= threshold).to(probs.dtype)
    return probs * keep[:, None, None, None]
