import pytest
import torch
import torch.nn as nn

from refseg.models.backbones.clip.layers import (
    CLIPAttention,
    CLIPResidualBlock,
    CLIPTransformer,
    QuickGELU,
    resize_pos_embed,
)


def reference_attention(attn: CLIPAttention) -> nn.MultiheadAttention:
    """nn.MultiheadAttention holding the same weights (same key names)."""
    reference = nn.MultiheadAttention(attn.embed_dims, attn.num_heads, batch_first=True)
    reference.load_state_dict(attn.state_dict())
    return reference.eval()


# nn.MultiheadAttention (the reference) warns about mixed mask types
@pytest.mark.filterwarnings('ignore:Support for mismatched key_padding_mask')
@pytest.mark.parametrize(
    'mask_kind', ['none', 'bool', 'float', 'padding', 'bool+padding', 'float+padding']
)
def test_attention_matches_multihead_attention(mask_kind):
    torch.manual_seed(0)
    attn = CLIPAttention(16, 4).eval()
    reference = reference_attention(attn)
    x = torch.randn(2, 5, 16)
    causal = torch.ones(5, 5, dtype=torch.bool).triu(1)
    attn_mask = dict(
        bool=causal,
        float=torch.zeros(5, 5).masked_fill(causal, float('-inf')),
    ).get(mask_kind.split('+')[0])
    padding = None
    if 'padding' in mask_kind:
        padding = torch.tensor([[False] * 5, [False, False, False, True, True]])
    with torch.no_grad():
        out = attn(x, attn_mask=attn_mask, key_padding_mask=padding)
        expected, _ = reference(
            x, x, x, attn_mask=attn_mask, key_padding_mask=padding, need_weights=False
        )
    assert out.shape == (2, 5, 16)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_attention_rejects_bad_masks_and_widths():
    attn = CLIPAttention(16, 4)
    x = torch.randn(2, 5, 16)
    with pytest.raises(ValueError, match='key_padding_mask'):
        attn(x, key_padding_mask=torch.zeros(2, 5))
    with pytest.raises(ValueError, match='attn_mask'):
        attn(x, attn_mask=torch.zeros(5))
    with pytest.raises(ValueError, match='divisible'):
        CLIPAttention(10, 4)


def test_residual_block_branches_compose_forward():
    torch.manual_seed(0)
    block = CLIPResidualBlock(16, 2).eval()
    assert set(block.state_dict()) >= {
        'attn.in_proj_weight',
        'attn.in_proj_bias',
        'attn.out_proj.weight',
        'ln_1.weight',
        'mlp.c_fc.weight',
        'mlp.c_proj.bias',
        'ln_2.bias',
    }
    assert isinstance(block.mlp.gelu, QuickGELU)
    x = torch.randn(3, 4, 16)
    mask = torch.ones(4, 4, dtype=torch.bool).triu(1)
    with torch.no_grad():
        stepped = x + block.attention_branch(x, mask)
        stepped = stepped + block.mlp_branch(stepped)
        torch.testing.assert_close(block(x, mask), stepped)
        # the branches are residuals, not outputs: they differ from forward
        assert not torch.allclose(block.attention_branch(x, mask), block(x))


def test_quick_gelu_and_configurable_activation():
    x = torch.linspace(-3, 3, 7)
    torch.testing.assert_close(QuickGELU()(x), x * torch.sigmoid(1.702 * x))
    block = CLIPResidualBlock(8, 2, act_cfg=dict(type='GELU'))
    assert isinstance(block.mlp.gelu, nn.GELU)


def test_transformer_returns_requested_block_outputs():
    torch.manual_seed(0)
    transformer = CLIPTransformer(8, 3, 2).eval()
    x = torch.randn(2, 4, 8)
    with torch.no_grad():
        out, blocks = transformer(x, out_indices=(0, 2))
        manual = [x]
        for block in transformer.resblocks:
            manual.append(block(manual[-1]))
    assert len(blocks) == 2
    torch.testing.assert_close(blocks[0], manual[1])
    torch.testing.assert_close(blocks[1], manual[3])
    torch.testing.assert_close(out, manual[3])


def test_resize_pos_embed():
    torch.manual_seed(0)
    table = torch.randn(1 + 4 * 4, 6)
    assert resize_pos_embed(table, (4, 4)) is table
    resized = resize_pos_embed(table, (8, 6))
    assert resized.shape == (1 + 8 * 6, 6)
    torch.testing.assert_close(resized[0], table[0])  # class row untouched
    # a constant grid stays constant under bicubic resizing
    constant = torch.cat([torch.zeros(1, 3), torch.ones(9, 3)])
    torch.testing.assert_close(resize_pos_embed(constant, (5, 7))[1:], torch.ones(35, 3))
    with pytest.raises(ValueError, match='square'):
        resize_pos_embed(torch.randn(1 + 10, 6), (4, 4))
