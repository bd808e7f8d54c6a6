"""SKE (RISCLIP)."""

import torch

from refseg.models.adapters.ske import SKE, SKELayer


def _randomise(module):
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn_like(param) * 0.3)
    return module


def test_ske_is_identity_at_init_and_every_part_gets_gradient():
    ske = SKE(16, num_heads=2, num_layers=2)
    image, text = torch.randn(2, 5, 16), torch.randn(2, 4, 16)
    pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
    image_out, text_out = ske(image, text, pad)
    torch.testing.assert_close(image_out, image)
    torch.testing.assert_close(text_out, text)
    (image_out * torch.randn_like(image_out)).sum().backward(retain_graph=True)
    (text_out * torch.randn_like(text_out)).sum().backward()
    last = ske.layers[-1]
    for zeroed in (
        last.cross_attn_image.out_proj,
        last.cross_attn_text.out_proj,
        last.self_attn_image.out_proj,
        last.self_attn_text.out_proj,
        last.mlp_image[2],
        last.mlp_text[2],
    ):
        assert zeroed.weight.grad.abs().sum() > 0


def test_ske_layer_masks_text_padding():
    layer = _randomise(SKELayer(16, num_heads=2, mlp_ratio=4.0))
    assert layer.mlp_image[0].out_features == 64
    image, text = torch.randn(1, 5, 16), torch.randn(1, 4, 16)
    pad = torch.tensor([[False, False, True, True]])
    changed = text.clone()
    changed[:, 2:] += 3
    image_a, text_a = layer(image, text, pad)
    image_b, text_b = layer(image, changed, pad)
    torch.testing.assert_close(image_a, image_b)
    torch.testing.assert_close(text_a[:, :2], text_b[:, :2])
