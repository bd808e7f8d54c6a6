import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from refseg.registry import MODELS

init_default_scope('refseg')


def build(cfg):
    torch.manual_seed(0)
    module = MODELS.build(cfg)
    module.init_weights()
    return module.eval()


def test_text_pixel_projector_is_a_per_sample_conv():
    projector = build(
        dict(type='TextPixelProjector', in_channels=16, channels=8, text_channels=12, kernel_size=3)
    )
    x, sent = torch.randn(3, 16, 5, 6), torch.randn(3, 12)
    with torch.no_grad():
        logits = projector(x, sent)
        pixels = projector.vis(x)
        params = projector.txt(sent)
    assert logits.shape == (3, 1, 20, 24)
    for b in range(3):
        kernel = params[b, :-1].reshape(1, 8, 3, 3)
        expected = F.conv2d(pixels[b : b + 1], kernel, params[b, -1:], padding=1)
        torch.testing.assert_close(logits[b : b + 1], expected, rtol=1e-4, atol=1e-5)


def test_kernel_size_one_is_text_pixel_dot_product():
    projector = build(
        dict(type='TextPixelProjector', in_channels=16, channels=8, text_channels=12, kernel_size=1)
    )
    x, sent = torch.randn(2, 16, 3, 3), torch.randn(2, 12)
    with torch.no_grad():
        logits = projector(x, sent)
        z_v = projector.vis(x)
        z_t = projector.txt(sent)
    expected = torch.einsum('bchw,bc->bhw', z_v, z_t[:, :-1]) + z_t[:, -1, None, None]
    torch.testing.assert_close(logits[:, 0], expected, rtol=1e-4, atol=1e-5)


def test_visual_path_layout():
    projector = build(dict(type='TextPixelProjector'))
    names = {name for name, _ in projector.named_parameters()}
    assert names == {
        'vis.1.conv.weight',
        'vis.1.bn.weight',
        'vis.1.bn.bias',
        'vis.3.conv.weight',
        'vis.3.bn.weight',
        'vis.3.bn.bias',
        'vis.4.weight',
        'vis.4.bias',
        'txt.weight',
        'txt.bias',
    }
    assert projector.txt.out_features == 256 * 9 + 1
    assert projector.vis[4].bias is not None and projector.vis[1].conv.bias is None


def test_conv_projector_ignores_text():
    projector = build(dict(type='ConvProjector', in_channels=16, channels=8))
    x = torch.randn(2, 16, 4, 4)
    with torch.no_grad():
        a = projector(x, torch.randn(2, 12))
        b = projector(x, torch.randn(2, 12))
    assert a.shape == (2, 1, 16, 16)
    torch.testing.assert_close(a, b)
    assert projector.cls.out_channels == 1


def test_even_kernel_rejected():
    with pytest.raises(ValueError, match='odd'):
        MODELS.build(dict(type='TextPixelProjector', kernel_size=2))
