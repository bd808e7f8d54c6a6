"""CFE adapters, cross-attention and block pairing (RISCLIP)."""

import pytest
import torch

from refseg.models.adapters.cfe import CFE, CFEAdapter, CFECrossAttention, default_block_pairs


def test_cfe_adapter_starts_at_zero_update_with_nonzero_grad():
    adapter = CFEAdapter(16, bottleneck_dims=4)
    tokens = torch.randn(2, 5, 16)
    update = adapter(tokens)
    assert torch.count_nonzero(update) == 0
    (update * torch.randn_like(update)).sum().backward()
    assert adapter.up.weight.grad.abs().sum() > 0
    assert adapter.down.weight.std() > 0


@pytest.mark.parametrize('gate', ['zero_init', 'tanh'])
def test_cfe_cross_attention_is_identity_at_init_and_trains(gate):
    layer = CFECrossAttention(16, 12, shared_dims=8, num_heads=2, gate=gate)
    image, text = torch.randn(2, 5, 16), torch.randn(2, 4, 12)
    pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
    image_out, text_out = layer(image, text, pad)
    torch.testing.assert_close(image_out, image)
    torch.testing.assert_close(text_out, text)
    (image_out.sum() + text_out.sum()).backward()
    trained = layer.shared_to_image.weight if gate == 'zero_init' else layer.image_gate
    assert trained.grad.abs().sum() > 0


def _randomise(module):
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn_like(param) * 0.3)
    return module


def test_cfe_cross_attention_ignores_text_padding():
    layer = _randomise(CFECrossAttention(16, 12, shared_dims=8, num_heads=2))
    image, text = torch.randn(1, 5, 16), torch.randn(1, 4, 12)
    pad = torch.tensor([[False, False, True, True]])
    changed = text.clone()
    changed[:, 2:] = torch.randn(1, 2, 12) * 5
    image_a, _ = layer(image, text, pad)
    image_b, _ = layer(image, changed, pad)
    torch.testing.assert_close(image_a, image_b)
    image_c, _ = layer(image, changed, torch.zeros_like(pad))
    assert not torch.allclose(image_a, image_c)


def test_cfe_cross_attention_sequential_differs_from_simultaneous():
    torch.manual_seed(0)
    simultaneous = _randomise(CFECrossAttention(16, 12, 8, 2))
    sequential = CFECrossAttention(16, 12, 8, 2, sequential=True)
    sequential.load_state_dict(simultaneous.state_dict())
    image, text = torch.randn(1, 5, 16), torch.randn(1, 4, 12)
    pad = torch.zeros(1, 4, dtype=torch.bool)
    image_a, text_a = simultaneous(image, text, pad)
    image_b, text_b = sequential(image, text, pad)
    torch.testing.assert_close(image_a, image_b)
    assert not torch.allclose(text_a, text_b)


def test_cfe_block_pairing():
    # ViT-L/14-like: 24 image, 12 text blocks -> image 18..23 with text 6..11.
    assert default_block_pairs(24, 12, 6) == tuple((18 + k, 6 + k) for k in range(6))
    assert default_block_pairs(12, 12, 0) == ()
    cfe = CFE(16, 12, 6, 3, shared_dims=8, num_heads=2, num_fused=2)
    assert cfe.block_pairs == ((4, 1), (5, 2)) and len(cfe.cross_attns) == 2
    assert len(cfe.image_adapters) == 12 and len(cfe.text_adapters) == 6
    cfe = CFE(16, 12, 6, 3, 8, 2, block_pairs=[(1, 0), (3, 1), (5, 2)], use_adapters=False)
    assert cfe.adapter('image', 0, 0) is None and len(cfe.cross_attns) == 3
    with pytest.raises(ValueError, match='increase'):
        CFE(16, 12, 6, 3, 8, 2, block_pairs=[(3, 1), (2, 2)])
    with pytest.raises(ValueError, match='out of range'):
        CFE(16, 12, 6, 3, 8, 2, block_pairs=[(6, 1)])
    with pytest.raises(ValueError, match='num_fused'):
        CFE(16, 12, 6, 3, 8, 2, num_fused=4)
    with pytest.raises(ValueError, match='gate'):
        CFECrossAttention(16, 12, 8, 2, gate='sigmoid')
