"""RISCLIP: frozen CLIP + CFE + SKE -> patch grounding -> light decoder, trained in two stages."""

from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from refseg.registry import MODELS

from .ref_segmentor import RefSegmentor


def lockstep_schedule(
    num_image_blocks: int, num_text_blocks: int, block_pairs: Sequence[Tuple[int, int]] = ()
):
    """Order in which to step two encoders so that each fused pair runs side by side.

    Yields ``(image_block, text_block, pair_index)``: a block index is None when only the
    other encoder advances; ``pair_index`` indexes ``block_pairs`` at a fused step, else
    None. Unfused blocks before a pair run first (text, then image).
    """
    image_block, text_block = 0, 0
    for pair_index, (fused_image, fused_text) in enumerate(block_pairs):
        for block in range(text_block, fused_text):
            yield None, block, None
        for block in range(image_block, fused_image):
            yield block, None, None
        yield fused_image, fused_text, pair_index
        image_block, text_block = fused_image + 1, fused_text + 1
    for block in range(text_block, num_text_blocks):
        yield None, block, None
    for block in range(image_block, num_image_blocks):
        yield block, None, None


def run_block(
    block: nn.Module,
    tokens: Tensor,
    adapters: Optional[Sequence[nn.Module]],
    attn_mask: Optional[Tensor] = None,
) -> Tensor:
    """One frozen CLIP block with a CFE-U adapter after each residual branch.

    Args:
        block (nn.Module): A CLIP residual block with ``attention_branch``/``mlp_branch``.
        tokens (Tensor): (B, N, D).
        adapters (Sequence[nn.Module], optional): (after-attention, after-MLP) adapters.
        attn_mask (Tensor, optional): (N, N) attention mask (the text's causal mask).

    Returns:
        Tensor: (B, N, D).
    """
    tokens = tokens + block.attention_branch(tokens, attn_mask)
    if adapters is not None:
        tokens = tokens + adapters[0](tokens)
    tokens = tokens + block.mlp_branch(tokens)
    if adapters is not None:
        tokens = tokens + adapters[1](tokens)
    return tokens


@MODELS.register_module()
class RISCLIPSegmentor(RefSegmentor):
    """RISCLIP (Kim et al., NAACL 2024) on a frozen CLIP ViT and text transformer.

    .. code:: text

        image ─► ViT blocks (frozen) + CFE-U ─┐ CFE-X at the fused block pairs
        text ─► text blocks (frozen) + CFE-U ─┘ (both encoders step in lockstep)
           ln_post+proj (CLS + patches)   ln_final+text_projection (all positions)
                          └──────► SKE x N_s ◄──────┘
           z = exp(s_hat) cos(patch, EOT) + b   ─► decoder (stage 2) ─► mask logits

    ``stage=1`` trains CFE, SKE and the grounding scale/bias on the patch grid (the head
    has no decoder; predictions are the upsampled z). ``stage=2`` trains the decoder with
    everything else frozen (``finetune_stage1=True`` also trains CFE/SKE/grounding; give
    them a smaller lr with ``paramwise_cfg``). CLIP is always frozen and kept in eval mode.

    Args:
        backbone (dict): ``CLIPVisionTransformer`` config.
        text_encoder (dict): ``CLIPTextTransformer`` config.
        decode_head (dict): ``RISCLIPHead`` config; ``stage`` is filled in from here.
        cfe (dict, optional): ``CFE`` config without the encoder sizes, which are read
            from the encoders. None disables CFE (both CFE-U and CFE-X).
        ske (dict, optional): ``SKE`` config without ``embed_dims``. None disables SKE.
        stage (int): 1 or 2. Defaults to 1.
        finetune_stage1 (bool): In stage 2, also train CFE, SKE and the grounding.
            Defaults to False.
        feature_levels (Sequence[int]): 0-based ViT blocks whose outputs feed the
            decoder. Defaults to (3, 7, 11) (blocks 4, 8, 12 of ViT-B).
        ske_image_tokens (str): ``'all'`` (CLS + patches, default) or ``'patches'``.
        ske_text_tokens (str): ``'all'`` (every position, padding masked, default) or
            ``'eot'`` (the EOT token only).
        context_length (int): Token positions per expression. Defaults to 77 (CLIP).
        no_target_head (dict, optional): As :class:`RefSegmentor`; trained in both stages.
        text_override, data_preprocessor, train_cfg, test_cfg, init_cfg: As
            :class:`RefSegmentor`.
    """

    # CFE-X mixes the expression into the ViT blocks.
    image_encoder_reads_text = True

    token_choices = dict(ske_image_tokens=('all', 'patches'), ske_text_tokens=('all', 'eot'))

    def __init__(
        self,
        backbone: ConfigType,
        text_encoder: ConfigType,
        decode_head: ConfigType,
        cfe: OptConfigType = None,
        ske: OptConfigType = None,
        stage: int = 1,
        finetune_stage1: bool = False,
        feature_levels: Sequence[int] = (3, 7, 11),
        ske_image_tokens: str = 'all',
        ske_text_tokens: str = 'all',
        context_length: int = 77,
        text_override: Optional[str] = None,
        no_target_head: OptConfigType = None,
        data_preprocessor: OptConfigType = None,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
        init_cfg: OptMultiConfig = None,
    ) -> None:
        if stage not in (1, 2):
            raise ValueError(f'RISCLIPSegmentor: stage must be 1 or 2, got {stage!r}')
        head_stage = decode_head.get('stage', stage)
        if head_stage != stage:
            raise ValueError(
                f'RISCLIPSegmentor: decode_head.stage={head_stage} '
                f'contradicts stage={stage}; set only the segmentor stage'
            )
        for name, value in (
            ('ske_image_tokens', ske_image_tokens),
            ('ske_text_tokens', ske_text_tokens),
        ):
            if value not in self.token_choices[name]:
                raise ValueError(
                    f'RISCLIPSegmentor: {name} must be one of '
                    f'{self.token_choices[name]}, got {value!r}'
                )
        super().__init__(
            backbone=backbone,
            text_encoder=text_encoder,
            decode_head=dict(decode_head, stage=stage),
            context_length=context_length,
            text_override=text_override,
            no_target_head=no_target_head,
            data_preprocessor=data_preprocessor,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg,
        )
        self.stage = stage
        self.finetune_stage1 = finetune_stage1
        self.ske_image_tokens = ske_image_tokens
        self.ske_text_tokens = ske_text_tokens
        num_image_blocks = len(self.backbone.transformer.resblocks)
        num_text_blocks = len(self.text_encoder.transformer.resblocks)
        bad = [i for i in feature_levels if not 0 <= i < num_image_blocks]
        if bad:
            raise ValueError(
                f'RISCLIPSegmentor: feature_levels {tuple(feature_levels)} '
                f'name blocks outside 0..{num_image_blocks - 1}'
            )
        self.feature_levels = tuple(feature_levels)
        if self.text_encoder.embed_dim != self.backbone.output_dim:
            raise ValueError(
                f'RISCLIPSegmentor: image joint dim {self.backbone.output_dim}'
                f' != text joint dim {self.text_encoder.embed_dim}'
            )
        if cfe is not None:
            self.cfe = MODELS.build(
                dict(
                    cfe,
                    image_dims=self.backbone.width,
                    text_dims=self.text_encoder.width,
                    num_image_blocks=num_image_blocks,
                    num_text_blocks=num_text_blocks,
                )
            )
        if ske is not None:
            self.ske = MODELS.build(dict(ske, embed_dims=self.backbone.output_dim))
        self._set_trainable()

    # -------------------------------------------------------------- freezing
    @property
    def with_cfe(self) -> bool:
        return getattr(self, 'cfe', None) is not None

    @property
    def with_ske(self) -> bool:
        return getattr(self, 'ske', None) is not None

    def stage1_modules(self) -> List[nn.Module]:
        """The parts trained in stage 1: CFE, SKE and the grounding scale/bias."""
        modules = [self.decode_head.grounding]
        modules += [self.cfe] if self.with_cfe else []
        modules += [self.ske] if self.with_ske else []
        return modules

    def _set_trainable(self) -> None:
        """Freeze CLIP always, and whatever the current stage does not train."""
        self.requires_grad_(False)
        if self.stage == 1 or self.finetune_stage1:
            for module in self.stage1_modules():
                module.requires_grad_(True)
        if self.stage == 2:
            self.decode_head.decoder.requires_grad_(True)
        if self.with_no_target_head:
            self.no_target_head.requires_grad_(True)

    @property
    def stage1_frozen(self) -> bool:
        return self.stage == 2 and not self.finetune_stage1

    def train(self, mode: bool = True) -> 'RISCLIPSegmentor':
        """Set the mode, keeping frozen CLIP (and frozen stage-1 parts) in eval mode."""
        super().train(mode)
        self.backbone.eval()
        self.text_encoder.eval()
        if self.stage1_frozen:
            for module in self.stage1_modules():
                module.eval()
        return self

    # -------------------------------------------------------------- features
    def encode(self, inputs: Tensor, token_ids: Tensor, img_feats=None) -> Dict[str, Tensor]:
        """Features for :class:`RISCLIPHead`: :meth:`lockstep_encode`'s dict plus
        ``inputs`` (B, 3, H, W) and ``token_ids`` (B, L). Frozen stage-1 parts run
        without autograd. The image encoder reads the text, so precomputed
        ``img_feats`` cannot be used."""
        if img_feats is not None:
            raise ValueError(
                'RISCLIPSegmentor encodes the image with the expression '
                '(image_encoder_reads_text): img_feats cannot be given'
            )
        context = torch.no_grad() if self.stage1_frozen else nullcontext()
        with context:
            feats = self.lockstep_encode(inputs, token_ids)
        return dict(feats, inputs=inputs, token_ids=token_ids)

    def lockstep_encode(self, images: Tensor, token_ids: Tensor) -> Dict[str, Tensor]:
        """Run both CLIP encoders in lockstep with CFE, then project and apply SKE.

        Args:
            images (Tensor): (B, 3, H, W) normalised images.
            token_ids (Tensor): (B, L) CLIP token ids.

        Returns:
            dict: ``img_feats`` tuple of (B, D_v, h, w) maps of ``feature_levels``,
            ``vis_feats`` (B, d, h, w) joint-space patch features, ``sent_feat`` (B, d)
            joint-space EOT feature, ``word_feats`` (B, L', d) joint-space text tokens,
            ``pad_mask`` (B, L') bool (L' = 1 with ``ske_text_tokens='eot'``).
        """
        grid_h, grid_w = self.backbone.grid_size(images.shape[-2:])
        eot_index = token_ids.argmax(-1)
        positions = torch.arange(token_ids.shape[1], device=token_ids.device)
        pad_mask = positions[None] > eot_index[:, None]
        image_tokens, text_tokens, level_tokens = self._run_encoders(images, token_ids, pad_mask)

        joint_image = self.backbone.project(image_tokens)
        joint_text = self.text_encoder.project(text_tokens)
        batch_index = torch.arange(token_ids.shape[0], device=token_ids.device)
        if self.ske_image_tokens == 'patches':
            joint_image = joint_image[:, 1:]
        if self.ske_text_tokens == 'eot':
            joint_text = joint_text[batch_index, eot_index][:, None]
            pad_mask = pad_mask.new_zeros(pad_mask.shape[0], 1)
            eot_index = torch.zeros_like(eot_index)
        if self.with_ske:
            joint_image, joint_text = self.ske(joint_image, joint_text, pad_mask)
        patches = joint_image[:, -grid_h * grid_w :]
        return dict(
            img_feats=tuple(
                self._to_map(level_tokens[i][:, 1:], grid_h, grid_w) for i in self.feature_levels
            ),
            vis_feats=self._to_map(patches, grid_h, grid_w),
            sent_feat=joint_text[batch_index, eot_index],
            word_feats=joint_text,
            pad_mask=pad_mask,
        )

    def _run_encoders(
        self, images: Tensor, token_ids: Tensor, pad_mask: Tensor
    ) -> Tuple[Tensor, Tensor, Dict[int, Tensor]]:
        """Step the frozen blocks of both encoders with CFE-U and CFE-X.

        Returns:
            tuple: last image tokens (B, 1+N, D_v), last text tokens (B, L, D_t) and the
            image tokens after each block of ``feature_levels`` ({block: (B, 1+N, D_v)}).
        """
        image_tokens = self.backbone.embed(images)
        text_tokens = self.text_encoder.embed(token_ids)
        causal_mask = self.text_encoder.causal_mask(token_ids.shape[1], images.device)
        image_blocks = self.backbone.transformer.resblocks
        text_blocks = self.text_encoder.transformer.resblocks
        pairs = self.cfe.block_pairs if self.with_cfe else ()
        level_tokens = {}
        for image_block, text_block, pair_index in lockstep_schedule(
            len(image_blocks), len(text_blocks), pairs
        ):
            if pair_index is not None:
                image_tokens, text_tokens = self.cfe.cross_attns[pair_index](
                    image_tokens, text_tokens, pad_mask
                )
            if image_block is not None:
                image_tokens = run_block(
                    image_blocks[image_block], image_tokens, self._adapters('image', image_block)
                )
                if image_block in self.feature_levels:
                    level_tokens[image_block] = image_tokens
            if text_block is not None:
                text_tokens = run_block(
                    text_blocks[text_block],
                    text_tokens,
                    self._adapters('text', text_block),
                    causal_mask,
                )
        return image_tokens, text_tokens, level_tokens

    def _adapters(self, stream: str, block: int) -> Optional[Tuple[nn.Module, ...]]:
        if not self.with_cfe:
            return None
        adapter_after_attn = self.cfe.adapter(stream, block, 0)
        if adapter_after_attn is None:
            return None
        return adapter_after_attn, self.cfe.adapter(stream, block, 1)

    @staticmethod
    def _to_map(tokens: Tensor, grid_h: int, grid_w: int) -> Tensor:
        """(B, h*w, C) row-major patch tokens -> (B, C, h, w)."""
        return tokens.transpose(1, 2).reshape(tokens.shape[0], -1, grid_h, grid_w)
