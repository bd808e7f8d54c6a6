"""Cross-modal Feature Extraction (CFE): RISCLIP's adapters inside the frozen CLIP encoders.

Two parts, each switchable off for ablation:

* CFE-U, :class:`CFEAdapter`: a bottleneck adapter after each residual branch of every
  block of both encoders (unimodal feature extraction).
* CFE-X, :class:`CFECrossAttention`: two-way image <-> text cross-attention at the input of
  the last K block pairs, the two encoders running in lockstep.

Both start as the identity, so an untrained CFE leaves CLIP's features unchanged.
"""

from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from refseg.registry import MODELS


@MODELS.register_module()
class CFEAdapter(BaseModule):
    """Bottleneck adapter ``A(x) = W_up ReLU(W_down x + b_down) + b_up`` (CFE-U).

    ``W_down`` is Kaiming-normal (fan-in, ReLU); ``W_up`` and ``b_up`` are zero, so the
    adapter's update is zero at initialisation while its gradient is not.

    Args:
        embed_dims (int): D, token width of the encoder it sits in.
        bottleneck_dims (int): r, bottleneck width. Defaults to 64.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self, embed_dims: int, bottleneck_dims: int = 64, init_cfg: Optional[dict] = None
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if bottleneck_dims <= 0:
            raise ValueError(f'CFEAdapter: bottleneck_dims must be positive, got {bottleneck_dims}')
        self.down = nn.Linear(embed_dims, bottleneck_dims)
        self.up = nn.Linear(bottleneck_dims, embed_dims)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        nn.init.kaiming_normal_(self.down.weight, mode='fan_in', nonlinearity='relu')
        nn.init.zeros_(self.down.bias)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, tokens: Tensor) -> Tensor:
        """Args: tokens (B, N, D). Returns: the residual update (B, N, D)."""
        return self.up(torch.relu(self.down(tokens)))


@MODELS.register_module()
class CFECrossAttention(BaseModule):
    """Two-way image <-> text cross-attention in a shared width d_s (CFE-X).

    .. code:: text

        V~ = W_v2s LN_v(X)      T~ = W_t2s LN_t(T)
        X <- X + g_v * W_s2v MHA_v(V~, T~, T~, key padding = text padding)
        T <- T + g_t * W_s2t MHA_t(T~, V~, V~)

    With ``gate='zero_init'`` the output projections ``W_s2v``/``W_s2t`` start at zero and
    ``g = 1``; with ``gate='tanh'`` they start like the input projections and
    ``g = tanh(alpha)`` with a learnable scalar ``alpha = 0``. Either way the module starts
    as the identity.

    Args:
        image_dims (int): D_v, image token width.
        text_dims (int): D_t, text token width.
        shared_dims (int): d_s, width of the attention. RISCLIP: CLIP's joint dim.
        num_heads (int): Attention heads; must divide ``shared_dims``.
        gate (str): ``'zero_init'`` (default) or ``'tanh'``.
        sequential (bool): If True the text attends to the already updated image tokens
            (the v1 re-implementation's order); by default both directions read the
            states from before this module (simultaneous update).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    gates = ('zero_init', 'tanh')

    def __init__(
        self,
        image_dims: int,
        text_dims: int,
        shared_dims: int,
        num_heads: int,
        gate: str = 'zero_init',
        sequential: bool = False,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if gate not in self.gates:
            raise ValueError(f'CFECrossAttention: gate must be one of {self.gates}, got {gate!r}')
        if shared_dims % num_heads:
            raise ValueError(
                f'CFECrossAttention: shared_dims={shared_dims} is not '
                f'divisible by num_heads={num_heads}'
            )
        self.gate = gate
        self.sequential = sequential
        self.image_norm = nn.LayerNorm(image_dims)
        self.text_norm = nn.LayerNorm(text_dims)
        self.image_to_shared = nn.Linear(image_dims, shared_dims)
        self.text_to_shared = nn.Linear(text_dims, shared_dims)
        self.image_attn = nn.MultiheadAttention(shared_dims, num_heads, batch_first=True)
        self.text_attn = nn.MultiheadAttention(shared_dims, num_heads, batch_first=True)
        self.shared_to_image = nn.Linear(shared_dims, image_dims)
        self.shared_to_text = nn.Linear(shared_dims, text_dims)
        if gate == 'tanh':
            self.image_gate = nn.Parameter(torch.zeros(()))
            self.text_gate = nn.Parameter(torch.zeros(()))
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        in_projs = [self.image_to_shared, self.text_to_shared]
        out_projs = [self.shared_to_image, self.shared_to_text]
        for linear in in_projs + (out_projs if self.gate == 'tanh' else []):
            nn.init.trunc_normal_(linear.weight, std=0.02)
            nn.init.zeros_(linear.bias)
        if self.gate == 'zero_init':
            for linear in out_projs:
                nn.init.zeros_(linear.weight)
                nn.init.zeros_(linear.bias)

    def _gated(self, update: Tensor, gate_name: str) -> Tensor:
        if self.gate == 'tanh':
            return torch.tanh(getattr(self, gate_name)) * update
        return update

    def forward(
        self, image_tokens: Tensor, text_tokens: Tensor, text_pad_mask: Tensor
    ) -> Tuple[Tensor, Tensor]:
        """Exchange information between the two token streams.

        Args:
            image_tokens (Tensor): X, (B, 1+N, D_v).
            text_tokens (Tensor): T, (B, M, D_t).
            text_pad_mask (Tensor): (B, M) bool, True at positions after EOT.

        Returns:
            tuple[Tensor, Tensor]: Updated image (B, 1+N, D_v) and text (B, M, D_t) tokens.
        """
        image_shared = self.image_to_shared(self.image_norm(image_tokens))
        text_shared = self.text_to_shared(self.text_norm(text_tokens))
        image_update, _ = self.image_attn(
            image_shared,
            text_shared,
            text_shared,
            key_padding_mask=text_pad_mask,
            need_weights=False,
        )
        image_out = image_tokens + self._gated(self.shared_to_image(image_update), 'image_gate')
        if self.sequential:
            image_shared = self.image_to_shared(self.image_norm(image_out))
        text_update, _ = self.text_attn(text_shared, image_shared, image_shared, need_weights=False)
        text_out = text_tokens + self._gated(self.shared_to_text(text_update), 'text_gate')
        return image_out, text_out


def default_block_pairs(
    num_image_blocks: int, num_text_blocks: int, num_fused: int
) -> Tuple[Tuple[int, int], ...]:
    """Pair the last ``num_fused`` image blocks with the last ``num_fused`` text blocks.

    For ViT-L/14 (24 image, 12 text blocks) and K=6 this gives image blocks 18..23 with
    text blocks 6..11 (0-based), the pairing proposed in the RISCLIP spec.

    Returns:
        tuple[tuple[int, int], ...]: ``(image_block, text_block)`` pairs, 0-based.
    """
    if not 0 <= num_fused <= min(num_image_blocks, num_text_blocks):
        raise ValueError(
            f'num_fused={num_fused} must be in [0, min(image blocks '
            f'{num_image_blocks}, text blocks {num_text_blocks})]'
        )
    return tuple(
        (num_image_blocks - num_fused + k, num_text_blocks - num_fused + k)
        for k in range(num_fused)
    )


def check_block_pairs(
    pairs, num_image_blocks: int, num_text_blocks: int
) -> Tuple[Tuple[int, int], ...]:
    """Validate explicit ``(image_block, text_block)`` pairs for the lockstep schedule.

    Both indices must be in range and strictly increasing, so that one forward pass
    through both encoders can visit every pair in order.
    """
    pairs = tuple(tuple(int(i) for i in pair) for pair in pairs)
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(
                f'CFE block_pairs: each pair must be (image_block, text_block), got {pair}'
            )
        image_block, text_block = pair
        if not (0 <= image_block < num_image_blocks and 0 <= text_block < num_text_blocks):
            raise ValueError(
                f'CFE block_pairs: pair {pair} out of range for '
                f'{num_image_blocks} image and {num_text_blocks} text blocks'
            )
    for previous, current in zip(pairs, pairs[1:]):
        if not (current[0] > previous[0] and current[1] > previous[1]):
            raise ValueError(
                f'CFE block_pairs must increase in both indices, got {previous} then {current}'
            )
    return pairs


@MODELS.register_module()
class CFE(BaseModule):
    """All trainable CFE parts of both encoders and where they go.

    The frozen encoders stay outside this module (they belong to the segmentor, which
    steps both in lockstep); this module holds the adapters, the cross-attentions and the
    ``block_pairs`` they sit at.

    Args:
        image_dims (int): D_v, ViT width.
        text_dims (int): D_t, text transformer width.
        num_image_blocks (int): Blocks of the ViT.
        num_text_blocks (int): Blocks of the text transformer.
        shared_dims (int): d_s of the cross-attention. RISCLIP: CLIP's joint dim.
        num_heads (int): Heads of the cross-attention.
        bottleneck_dims (int): r of CFE-U. Defaults to 64.
        use_adapters (bool): Build CFE-U. Defaults to True.
        num_fused (int): K, the number of fused block pairs; 0 disables CFE-X.
            Defaults to 6.
        block_pairs (list[tuple[int, int]], optional): Explicit 0-based
            ``(image_block, text_block)`` pairs; overrides ``num_fused``. Default:
            the last K image blocks with the last K text blocks.
        gate (str): CFE-X gating, ``'zero_init'`` or ``'tanh'``.
        sequential (bool): CFE-X update order (see :class:`CFECrossAttention`).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        image_dims: int,
        text_dims: int,
        num_image_blocks: int,
        num_text_blocks: int,
        shared_dims: int,
        num_heads: int,
        bottleneck_dims: int = 64,
        use_adapters: bool = True,
        num_fused: int = 6,
        block_pairs=None,
        gate: str = 'zero_init',
        sequential: bool = False,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_image_blocks = num_image_blocks
        self.num_text_blocks = num_text_blocks
        if block_pairs is None:
            block_pairs = default_block_pairs(num_image_blocks, num_text_blocks, num_fused)
        self.block_pairs = check_block_pairs(block_pairs, num_image_blocks, num_text_blocks)
        self.use_adapters = use_adapters
        if use_adapters:
            # Two adapters per block: after the attention branch and after the MLP branch.
            self.image_adapters = nn.ModuleList(
                CFEAdapter(image_dims, bottleneck_dims) for _ in range(2 * num_image_blocks)
            )
            self.text_adapters = nn.ModuleList(
                CFEAdapter(text_dims, bottleneck_dims) for _ in range(2 * num_text_blocks)
            )
        self.cross_attns = nn.ModuleList(
            CFECrossAttention(image_dims, text_dims, shared_dims, num_heads, gate, sequential)
            for _ in self.block_pairs
        )

    def adapter(self, stream: str, block: int, branch: int) -> Optional[CFEAdapter]:
        """The CFE-U adapter after ``branch`` (0 attention, 1 MLP) of a block, or None."""
        if not self.use_adapters:
            return None
        adapters = self.image_adapters if stream == 'image' else self.text_adapters
        return adapters[2 * block + branch]
