"""CLIP's text transformer, returning per-word and sentence features."""

from typing import Dict, Optional

import torch
import torch.nn as nn
from torch import Tensor

from refseg.registry import MODELS

from .layers import CLIPTower, CLIPTransformer

__all__ = ['CLIPTextTransformer']


@MODELS.register_module()
class CLIPTextTransformer(CLIPTower):
    """CLIP's causal text transformer as the text encoder of a RIS model.

    Parameter names are OpenAI's: ``token_embedding``,
    ``positional_embedding``, ``transformer.resblocks.{i}``, ``ln_final`` and
    ``text_projection``. OpenAI's ``logit_scale`` is not part of this module
    (refseg models do not compare CLIP embeddings with it; CRIS keeps it
    unused).

    Token sequences of any length L <= ``context_length`` are accepted: the
    first L rows of the positional table are used and the causal mask is
    built for L at every call (CRIS uses L = 17 or 22 with the 77-row table).
    EOT is the position of the largest id (``argmax``; EOT = 49407 is the
    largest id of CLIP's BPE) and padding is id 0.

    The steps are public for callers that run the blocks themselves
    (RISCLIP): ``x = embed(ids)``, each block of ``self.transformer.resblocks``
    with ``attn_mask=causal_mask(L)``, then ``project(x)``.

    Args:
        context_length (int): Rows of the positional table. Defaults to 77.
        vocab_size (int): Vocabulary size. Defaults to 49408.
        width (int): Token width. Defaults to 512.
        layers (int): Number of blocks. Defaults to 12.
        heads (int): Attention heads. Defaults to 8.
        embed_dim (int): Width of the joint image-text space
            (``text_projection``). Defaults to 512 (1024 for RN50).
        act_cfg (dict): MLP activation. Defaults to QuickGELU (OpenAI).
        init_cfg (dict, optional): e.g. ``dict(type='CLIPPretrained',
            checkpoint='RN50.pt')``.
    """

    clip_part = 'text'

    def __init__(
        self,
        context_length: int = 77,
        vocab_size: int = 49408,
        width: int = 512,
        layers: int = 12,
        heads: int = 8,
        embed_dim: int = 512,
        act_cfg: dict = dict(type='QuickGELU'),
        init_cfg=None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.context_length = context_length
        self.vocab_size = vocab_size
        self.width = width
        self.embed_dim = embed_dim
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.transformer = CLIPTransformer(width, layers, heads, act_cfg)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim))
        self._init_from_scratch()

    def _init_from_scratch(self) -> None:
        """OpenAI's initialisation, used when no checkpoint is loaded."""
        width = self.width
        num_layers = len(self.transformer.resblocks)
        attn_std = width**-0.5
        proj_std = attn_std * (2 * num_layers) ** -0.5
        fc_std = (2 * width) ** -0.5
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=attn_std)

    def _check_token_ids(self, token_ids: Tensor) -> None:
        if token_ids.dim() != 2 or token_ids.dtype not in (torch.int64, torch.int32):
            raise ValueError(
                'token_ids must be an integer tensor of shape '
                f'(B, L), got {token_ids.dtype} '
                f'{tuple(token_ids.shape)}'
            )
        if token_ids.shape[1] > self.context_length:
            raise ValueError(
                f'token_ids have length {token_ids.shape[1]}, more than the '
                f'context_length={self.context_length} of the text encoder'
            )

    def causal_mask(self, length: int, device: Optional[torch.device] = None) -> Tensor:
        """(L, L) boolean mask, True where attention is forbidden: position t
        may attend to positions <= t only."""
        return torch.ones(length, length, dtype=torch.bool, device=device).triu(1)

    def embed(self, token_ids: Tensor) -> Tensor:
        """Token plus positional embedding: (B, L) ids -> (B, L, width)."""
        self._check_token_ids(token_ids)
        length = token_ids.shape[1]
        return self.token_embedding(token_ids) + self.positional_embedding[:length]

    def project(self, tokens: Tensor) -> Tensor:
        """``ln_final(tokens) @ text_projection`` on every token:
        (B, L, width) -> (B, L, embed_dim)."""
        return self.ln_final(tokens) @ self.text_projection

    def forward(self, token_ids: Tensor) -> Dict[str, Tensor]:
        """Encode tokenised expressions.

        Args:
            token_ids (Tensor): (B, L) int64 ids (SOT, words, EOT, 0-padding).

        Returns:
            dict: with keys

            - ``word_feats`` (B, L, width): every token after ``ln_final``,
              not projected.
            - ``sent_feat`` (B, embed_dim): the EOT token after ``ln_final``,
              projected by ``text_projection`` (CLIP's text embedding).
            - ``pad_mask`` (B, L) bool: True at padding (id 0).
        """
        x = self.embed(token_ids)
        x, _ = self.transformer(x, attn_mask=self.causal_mask(x.shape[1], x.device))
        word_feats = self.ln_final(x)
        eot_index = token_ids.argmax(dim=-1)
        batch_index = torch.arange(token_ids.shape[0], device=x.device)
        sent_feat = word_feats[batch_index, eot_index] @ self.text_projection
        return dict(word_feats=word_feats, sent_feat=sent_feat, pad_mask=token_ids == 0)
