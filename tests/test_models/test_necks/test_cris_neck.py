import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from refseg.models.necks.cris_neck import CoordConvModule, CRISNeck
from refseg.registry import MODELS

init_default_scope('refseg')

IN_CHANNELS = (16, 32, 24)
OUT_CHANNELS = (8, 16, 32)
STATE_DIM = 12


def tiny_neck() -> CRISNeck:
    neck = MODELS.build(
        dict(
            type='CRISNeck', in_channels=IN_CHANNELS, out_channels=OUT_CHANNELS, state_dim=STATE_DIM
        )
    )
    neck.init_weights()
    return neck


def pyramid(batch=2, side=64):
    torch.manual_seed(0)
    return (
        torch.randn(batch, IN_CHANNELS[0], side // 8, side // 8),
        torch.randn(batch, IN_CHANNELS[1], side // 16, side // 16),
        torch.randn(batch, IN_CHANNELS[2], side // 32, side // 32),
    )


def reference_neck(neck: CRISNeck, feats, state):
    """The data flow of cris.md §2, written out step by step with the neck's
    layers: the orders of the concatenations are the point."""
    c3, c4, c5 = feats
    up = lambda x: F.interpolate(x, scale_factor=2, mode='bilinear')  # noqa: E731
    gate = neck.txt_proj.fc(state)
    gate = neck.txt_proj.activate(neck.txt_proj.bn(gate[:, :, None, None]))
    f5 = neck.norm_layer(neck.f1_v_proj(c5) * gate)
    f4 = neck.f2_cat(torch.cat([neck.f2_v_proj(c4), up(f5)], 1))
    f3 = F.avg_pool2d(neck.f3_v_proj(c3), 2, 2)
    f3 = neck.f3_cat(torch.cat([f3, f4], 1))
    fq = torch.cat([neck.f4_proj3(f3), neck.f4_proj4(f4), up(neck.f4_proj5(f5))], 1)
    fq = neck.aggr(fq)
    height, width = fq.shape[-2:]
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing='ij'
    )
    coords = torch.stack([xs, ys])[None].expand(fq.shape[0], -1, -1, -1)
    first = neck.coordconv[0]
    fq = first.activate(first.bn(first.conv(torch.cat([fq, coords], 1))))
    return neck.coordconv[1](fq)


def test_output_shape_and_stride():
    neck = tiny_neck()
    out = neck(pyramid(side=64), dict(sent_feat=torch.randn(2, STATE_DIM)))
    assert out.shape == (2, OUT_CHANNELS[1], 4, 4)


def test_matches_reference_data_flow():
    neck = tiny_neck().eval()
    # non-trivial running statistics so that eval-mode norms are not identities
    with torch.no_grad():
        for module in neck.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    feats, state = pyramid(side=96), torch.randn(2, STATE_DIM)
    with torch.no_grad():
        expected = reference_neck(neck, feats, state)
        torch.testing.assert_close(neck(feats, dict(sent_feat=state)), expected)


def test_sentence_gates_the_output():
    neck = tiny_neck().eval()
    feats = pyramid()
    with torch.no_grad():
        a = neck(feats, dict(sent_feat=torch.randn(2, STATE_DIM)))
        b = neck(feats, dict(sent_feat=torch.randn(2, STATE_DIM)))
    assert not torch.allclose(a, b)


def test_coordconv_appends_x_then_y():
    layer = CoordConvModule(1, 2, 1, bias=False, norm_cfg=None, act_cfg=None)
    with torch.no_grad():
        layer.conv.weight.zero_()
        layer.conv.weight[0, 1] = 1  # output 0 <- appended channel 1 (x)
        layer.conv.weight[1, 2] = 1  # output 1 <- appended channel 2 (y)
    out = layer(torch.zeros(1, 1, 3, 5))
    torch.testing.assert_close(out[0, 0], torch.linspace(-1, 1, 5).expand(3, 5))
    torch.testing.assert_close(out[0, 1], torch.linspace(-1, 1, 3)[:, None].expand(3, 5))


def test_init_is_pytorch_default():
    """ConvModule's Kaiming-normal (fan-out) is replaced by PyTorch's
    Kaiming-uniform(a=sqrt(5)), bounded by 1/sqrt(fan_in)."""
    neck = tiny_neck()
    weight = neck.f2_v_proj.conv.weight
    bound = 1 / math.sqrt(weight[0].numel())
    assert weight.abs().max() <= bound
    assert weight.abs().max() > 0.9 * bound


def test_official_submodule_names():
    with torch.device('meta'):
        names = {name for name, _ in CRISNeck().named_children()}
    assert names == {
        'txt_proj',
        'f1_v_proj',
        'norm_layer',
        'f2_v_proj',
        'f2_cat',
        'f3_v_proj',
        'f3_cat',
        'f4_proj5',
        'f4_proj4',
        'f4_proj3',
        'aggr',
        'coordconv',
    }


def test_bad_inputs_raise_clear_errors():
    neck = tiny_neck()
    c3, c4, c5 = pyramid()
    with pytest.raises(ValueError, match='in_channels'):
        neck((c3, c4, c5[:, :5]), dict(sent_feat=torch.randn(2, STATE_DIM)))
    with pytest.raises(ValueError, match='divisible by 32'):
        neck((c3, c4, c5[..., :1, :1]), dict(sent_feat=torch.randn(2, STATE_DIM)))
    with pytest.raises(ValueError, match='sent_feat'):
        neck((c3, c4, c5), dict(sent_feat=torch.randn(3, STATE_DIM)))
    with pytest.raises(ValueError, match='three levels'):
        CRISNeck(in_channels=(16, 32))
