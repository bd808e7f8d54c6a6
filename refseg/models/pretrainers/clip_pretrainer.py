"""CLIP's contrastive image-text pretraining of refseg's own CLIP towers."""

import math
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor

from refseg.registry import MODELS

from ..backbones.clip import CLIPResNet
from ..utils.tokenizer import tokenize_expressions


def clip_contrastive_loss(
    image_embeds: Tensor,
    text_embeds: Tensor,
    logit_scale: Tensor,
    same_text: Optional[Tensor] = None,
) -> Tensor:
    """CLIP's symmetric cross-entropy over a batch of N matching pairs.

    Args:
        image_embeds (Tensor): (N, E) L2-normalised image embeddings.
        text_embeds (Tensor): (N, E) L2-normalised text embeddings; row i matches image i.
        logit_scale (Tensor): () the temperature's inverse, exp(t).
        same_text (Tensor, optional): (N, N) bool, True where two captions are identical.
            Such off-diagonal pairs are not negatives (they are not wrong matches), so
            their logits are masked out of both softmaxes.

    Returns:
        Tensor: () mean of the image->text and text->image cross-entropies.
    """
    logits = logit_scale * image_embeds @ text_embeds.t()  # (N, N), image rows
    if same_text is not None:
        false_negatives = same_text & ~torch.eye(
            len(logits), dtype=torch.bool, device=logits.device
        )
        logits = logits.masked_fill(false_negatives, float('-inf'))
    targets = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.t(), targets)) / 2


@MODELS.register_module()
class CLIPPretrainer(BaseModel):
    """Contrastive image-text pretraining (Radford et al., 2021) of a CLIP image tower
    (:class:`CLIPResNet` with the pooled attention pool, or
    :class:`CLIPVisionTransformer`) and :class:`CLIPTextTransformer`.

    .. code:: text

        images (N,3,H,W) ─► visual ─► attention pool / ln_post(CLS) @ proj ─► I (N,E)
                                     (ViT, image_pool='patch_mean': mean of the projected
                                      patch tokens instead of the CLS token)
        captions ─► tokenize (N,L) ─► text_encoder ─► ln_final(EOT) @ text_projection ─► T
        loss = CE(s I T^T, diag) / 2 + CE(s T I^T, diag) / 2,  s = exp(t) <= 100

    The towers are stored as ``visual`` and ``text_encoder`` and ``t`` as
    ``logit_scale``, so that ``tools/model_converters/clip_refseg_to_openai.py`` writes
    OpenAI's layout by dropping the ``text_encoder.`` prefix.

    Args:
        visual (dict): Image tower config. A ``CLIPResNet`` must have
            ``dense_attnpool=False`` and ``out_indices=(4, )`` (the pooled embedding).
        text_encoder (dict): ``CLIPTextTransformer`` config.
        context_length (int): Token positions per caption (at most the text encoder's).
        image_pool (str): How a ``CLIPVisionTransformer`` embeds an image: ``'cls'``
            (OpenAI's CLIP: the projected class token) or ``'patch_mean'`` (the mean of
            the projected patch tokens, so every patch token is trained in the joint
            space; the weights keep OpenAI's layout). Defaults to ``'cls'``.
        logit_scale_init (float): Initial log-temperature t. Defaults to ln(1 / 0.07).
        max_logit_scale (float): Clip of exp(t). Defaults to 100.
        data_preprocessor (dict, optional): e.g. ``mmseg.SegDataPreProcessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        visual: dict,
        text_encoder: dict,
        context_length: int = 77,
        image_pool: str = 'cls',
        logit_scale_init: float = math.log(1 / 0.07),
        max_logit_scale: float = 100.0,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.visual = MODELS.build(visual)
        self.text_encoder = MODELS.build(text_encoder)
        if isinstance(self.visual, CLIPResNet) and (
            self.visual.attnpool.dense or self.visual.out_indices != (4,)
        ):
            raise ValueError(
                'CLIPPretrainer needs the pooled image embedding of a CLIPResNet:'
                ' set dense_attnpool=False and out_indices=(4, )'
            )
        if image_pool not in ('cls', 'patch_mean'):
            raise ValueError(f"image_pool must be 'cls' or 'patch_mean', got {image_pool!r}")
        if image_pool == 'patch_mean' and isinstance(self.visual, CLIPResNet):
            raise ValueError(
                "image_pool='patch_mean' needs a CLIPVisionTransformer; a CLIPResNet "
                'pools with its attention pool'
            )
        self.image_pool = image_pool
        if context_length > self.text_encoder.context_length:
            raise ValueError(
                f"context_length={context_length} exceeds the text encoder's "
                f'{self.text_encoder.context_length}'
            )
        self.context_length = context_length
        self.max_log_scale = math.log(max_logit_scale)
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale_init)))

    def encode_image(self, images: Tensor) -> Tensor:
        """(N, 3, H, W) normalised images -> (N, E) L2-normalised embeddings."""
        out = self.visual(images)
        if not isinstance(out, dict):
            embeds = out[-1]
        elif self.image_pool == 'patch_mean':
            embeds = out['patch_tokens'].mean(1)
        else:
            embeds = out['cls']
        return F.normalize(embeds, dim=-1)

    def encode_text(self, texts: List[str]) -> Tensor:
        """N captions -> (N, E) L2-normalised embeddings (the EOT token's)."""
        device = self.logit_scale.device
        token_ids = tokenize_expressions(texts, self.context_length).to(device)
        return F.normalize(self.text_encoder(token_ids)['sent_feat'], dim=-1)

    def scale(self) -> Tensor:
        """exp(t), clipped at ``max_logit_scale`` (no gradient above the clip)."""
        return self.logit_scale.clamp(max=self.max_log_scale).exp()

    @staticmethod
    def _texts(data_samples: List[BaseDataElement]) -> List[str]:
        texts = [sample.metainfo.get('text') for sample in data_samples]
        missing = [i for i, text in enumerate(texts) if not isinstance(text, str)]
        if missing:
            raise KeyError(
                f'data samples {missing} carry no "text" caption in their '
                'metainfo (pack it with PackRefSegInputs meta_keys)'
            )
        return texts

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
        mode: str = 'tensor',
    ) -> Union[Dict[str, Tensor], list, tuple]:
        """``loss``: the contrastive loss (and the current scale, logged);
        ``predict``: samples with ``image_embed`` and ``text_embed`` (E, ) set;
        ``tensor``: the (N, E) image and text embeddings."""
        if data_samples is None:
            raise ValueError('CLIPPretrainer needs data samples carrying the captions')
        texts = self._texts(data_samples)
        image_embeds = self.encode_image(inputs)
        text_embeds = self.encode_text(texts)
        if mode == 'tensor':
            return image_embeds, text_embeds
        if mode == 'predict':
            for sample, image_embed, text_embed in zip(data_samples, image_embeds, text_embeds):
                sample.set_field(image_embed.detach(), 'image_embed')
                sample.set_field(text_embed.detach(), 'text_embed')
            return data_samples
        if mode != 'loss':
            raise ValueError(f'mode must be loss, predict or tensor, got {mode!r}')
        same_text = torch.tensor([[a == b for b in texts] for a in texts], device=inputs.device)
        scale = self.scale()
        loss = clip_contrastive_loss(image_embeds, text_embeds, scale, same_text)
        return dict(loss_clip=loss, logit_scale=scale.detach())
