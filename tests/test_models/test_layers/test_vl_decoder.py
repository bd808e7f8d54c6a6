import math

import pytest
import torch
from mmengine.registry import init_default_scope

from refseg.models.layers.vl_decoder import (
    VLTransformerDecoder,
    sine_position_encoding_1d,
    sine_position_encoding_2d,
)
from refseg.registry import MODELS

init_default_scope('refseg')

DIM = 16


def tiny_decoder(num_layers=2) -> VLTransformerDecoder:
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='VLTransformerDecoder',
            num_layers=num_layers,
            embed_dims=DIM,
            num_heads=2,
            ffn_dims=32,
        )
    ).eval()


def test_pe_1d_formula():
    pe = sine_position_encoding_1d(5, 8)
    for p in range(5):
        for i in range(4):
            omega = math.exp(-2 * i * math.log(10000.0) / 8)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(p * omega), abs=1e-6)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(p * omega), abs=1e-6)


def test_pe_2d_layout():
    """x (column) in the first half, y (row) in the second, row-major tokens, raw
    integer positions with frequencies over dim / 2 channels."""
    height, width, dim = 3, 4, 16
    pe = sine_position_encoding_2d(height, width, dim)
    assert pe.shape == (height * width, dim) and pe.dtype == torch.float32
    half = dim // 2
    for y in range(height):
        for x in range(width):
            token = pe[y * width + x]
            for k in range(half // 2):
                omega = math.exp(-2 * k * math.log(10000.0) / half)
                expected = [
                    math.sin(x * omega),
                    math.cos(x * omega),
                    math.sin(y * omega),
                    math.cos(y * omega),
                ]
                got = [token[2 * k], token[2 * k + 1], token[half + 2 * k], token[half + 2 * k + 1]]
                assert [g.item() for g in got] == pytest.approx(expected, abs=1e-6)


def reference_layer(layer, vis, txt, vis_pos, txt_pos, pad_mask):
    """cris.md §3, sequence-first as in the official code: positions on queries and
    keys only, LayerNorm before each block and on each attention output."""

    def attend(attn, q, k, v, mask=None):
        # nn.MultiheadAttention was built batch_first: go (N, B, C) <-> (B, N, C)
        out = attn(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), key_padding_mask=mask)[
            0
        ]
        return out.transpose(0, 1)

    x = layer.norm1(vis)
    vis = vis + layer.self_attn_norm(attend(layer.self_attn, x + vis_pos, x + vis_pos, x))
    x = layer.norm2(vis)
    vis = vis + layer.cross_attn_norm(
        attend(layer.multihead_attn, x + vis_pos, txt + txt_pos, txt, pad_mask)
    )
    x = layer.norm3(vis)
    return vis + layer.ffn(x)


def test_matches_reference_layers():
    decoder = tiny_decoder()
    batch, height, width, length = 2, 3, 5, 6
    vis = torch.randn(batch, DIM, height, width)
    txt = torch.randn(batch, length, DIM)
    pad_mask = torch.zeros(batch, length, dtype=torch.bool)
    pad_mask[0, 4:] = True
    with torch.no_grad():
        out = decoder(vis, txt, pad_mask)
        tokens = vis.flatten(2).permute(2, 0, 1)  # (HW, B, C)
        vis_pos = sine_position_encoding_2d(height, width, DIM)[:, None]
        txt_pos = sine_position_encoding_1d(length, DIM)[:, None]
        words = txt.transpose(0, 1)
        for layer in decoder.layers:
            tokens = reference_layer(layer, tokens, words, vis_pos, txt_pos, pad_mask)
        expected = decoder.norm(tokens).permute(1, 2, 0).reshape(out.shape)
    assert out.shape == (batch, DIM, height, width)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_padded_words_are_ignored():
    decoder = tiny_decoder()
    vis = torch.randn(1, DIM, 2, 2)
    txt = torch.randn(1, 5, DIM)
    pad_mask = torch.tensor([[False, False, False, True, True]])
    changed = txt.clone()
    changed[0, 3:] = torch.randn(2, DIM)
    with torch.no_grad():
        torch.testing.assert_close(decoder(vis, txt, pad_mask), decoder(vis, changed, pad_mask))
        changed[0, 1] += 1
        assert not torch.allclose(decoder(vis, txt, pad_mask), decoder(vis, changed, pad_mask))


def test_official_parameter_names():
    names = set(dict(tiny_decoder(num_layers=1).named_parameters()))
    expected = {'norm.weight', 'norm.bias'}
    for module in ('self_attn', 'multihead_attn'):
        expected |= {
            f'layers.0.{module}.in_proj_weight',
            f'layers.0.{module}.in_proj_bias',
            f'layers.0.{module}.out_proj.weight',
            f'layers.0.{module}.out_proj.bias',
        }
    for module in (
        'self_attn_norm',
        'cross_attn_norm',
        'norm1',
        'norm2',
        'norm3',
        'ffn.0',
        'ffn.3',
        'ffn.4',
    ):
        expected |= {f'layers.0.{module}.weight', f'layers.0.{module}.bias'}
    assert names == expected


def test_bad_inputs():
    decoder = tiny_decoder()
    with pytest.raises(ValueError, match='embed_dims'):
        decoder(torch.randn(1, DIM + 1, 2, 2), torch.randn(1, 3, DIM))
    with pytest.raises(ValueError, match='pad_mask'):
        decoder(
            torch.randn(1, DIM, 2, 2), torch.randn(1, 3, DIM), torch.zeros(1, 4, dtype=torch.bool)
        )
    with pytest.raises(ValueError, match='num_layers'):
        VLTransformerDecoder(num_layers=0)
