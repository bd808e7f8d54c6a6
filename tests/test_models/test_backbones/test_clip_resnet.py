import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from refseg.models.backbones.clip import CLIPResNet
from refseg.registry import MODELS

init_default_scope('refseg')

TINY = dict(layers=(1, 2, 1, 1), width=8, heads=4, input_resolution=64, output_dim=24)


def tiny_resnet(**kwargs) -> CLIPResNet:
    torch.manual_seed(0)
    model = MODELS.build(dict(type='CLIPResNet', **{**TINY, **kwargs}))
    return model.eval()


def test_default_outputs_are_c3_c4_dense_c5():
    model = tiny_resnet()
    with torch.no_grad():
        c3, c4, c5 = model(torch.randn(2, 3, 64, 64))
    assert c3.shape == (2, 8 * 8, 8, 8)  # stride 8, 8 * width
    assert c4.shape == (2, 16 * 8, 4, 4)  # stride 16
    assert c5.shape == (2, 24, 2, 2)  # stride 32, output_dim channels
    assert (c5 >= 0).all()  # dense attnpool ends with a ReLU


def test_all_stages_and_non_square_input():
    model = tiny_resnet(out_indices=(0, 1, 2, 3, 4))
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 96, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [
        (32, 24, 16),
        (64, 12, 8),
        (128, 6, 4),
        (256, 3, 2),
        (24, 3, 2),
    ]


def test_openai_key_names():
    keys = set(tiny_resnet().state_dict())
    expected = {
        'conv1.weight',
        'bn1.weight',
        'conv2.weight',
        'bn2.running_mean',
        'conv3.weight',
        'bn3.bias',
        'layer1.0.conv1.weight',
        'layer1.0.downsample.0.weight',
        'layer1.0.downsample.1.weight',
        'layer2.0.downsample.0.weight',
        'layer2.1.conv3.weight',
        'layer4.0.bn3.running_var',
        'attnpool.positional_embedding',
        'attnpool.q_proj.weight',
        'attnpool.k_proj.bias',
        'attnpool.v_proj.weight',
        'attnpool.c_proj.weight',
        'attnpool.connect.0.weight',
        'attnpool.connect.1.running_mean',
    }
    assert expected <= keys
    assert 'attnpool.connect.0.bias' not in keys  # conv without bias
    assert tiny_resnet().attnpool.positional_embedding.shape == (1 + 2 * 2, 256)
    pooled_keys = set(tiny_resnet(dense_attnpool=False).state_dict())
    assert not any('connect' in key for key in pooled_keys)


def _openai_attention(attnpool, tokens, query):
    """OpenAI's attention-pool maths, sequence-first, through
    F.multi_head_attention_forward."""
    out, _ = F.multi_head_attention_forward(
        query=query.transpose(0, 1),
        key=tokens.transpose(0, 1),
        value=tokens.transpose(0, 1),
        embed_dim_to_check=tokens.shape[-1],
        num_heads=attnpool.num_heads,
        q_proj_weight=attnpool.q_proj.weight,
        k_proj_weight=attnpool.k_proj.weight,
        v_proj_weight=attnpool.v_proj.weight,
        in_proj_weight=None,
        in_proj_bias=torch.cat([attnpool.q_proj.bias, attnpool.k_proj.bias, attnpool.v_proj.bias]),
        bias_k=None,
        bias_v=None,
        add_zero_attn=False,
        dropout_p=0.0,
        out_proj_weight=attnpool.c_proj.weight,
        out_proj_bias=attnpool.c_proj.bias,
        use_separate_proj_weight=True,
        training=False,
        need_weights=False,
    )
    return out.transpose(0, 1)


def test_dense_attnpool_matches_cris_definition():
    """cris.md 1.2: pos-emb row 0 dropped, 2x2 grid resized bicubically to
    HxW, all positions attend, ReLU(attention + connect(x))."""
    model = tiny_resnet()
    attnpool = model.attnpool
    x = torch.randn(2, 256, 3, 5)
    with torch.no_grad():
        grid = attnpool.positional_embedding[1:].reshape(2, 2, 256)
        grid = F.interpolate(
            grid.permute(2, 0, 1)[None], size=(3, 5), mode='bicubic', align_corners=False
        )
        pos = grid[0].flatten(1).t()  # (15, 256)
        tokens = x.flatten(2).transpose(1, 2) + pos
        attended = _openai_attention(attnpool, tokens, tokens)
        attended = attended.transpose(1, 2).reshape(2, 24, 3, 5)
        expected = F.relu(attended + attnpool.connect(x))
        torch.testing.assert_close(attnpool(x), expected, atol=1e-5, rtol=1e-5)


def test_pooled_attnpool_matches_openai():
    model = tiny_resnet(dense_attnpool=False, out_indices=(4,))
    attnpool = model.attnpool
    x = torch.randn(2, 256, 2, 2)  # the pretrained grid: no resizing
    with torch.no_grad():
        tokens = x.flatten(2).transpose(1, 2)
        tokens = torch.cat([tokens.mean(1, keepdim=True), tokens], 1)
        tokens = tokens + attnpool.positional_embedding
        expected = _openai_attention(attnpool, tokens, tokens[:, :1])[:, 0]
        torch.testing.assert_close(attnpool(x), expected, atol=1e-5, rtol=1e-5)
        (pooled,) = model(torch.randn(2, 3, 64, 64))
    assert pooled.shape == (2, 24)


def test_bottleneck_downsamples_with_avgpool():
    block = tiny_resnet().layer2[0]
    assert isinstance(block.avgpool, torch.nn.AvgPool2d)
    assert block.conv2.stride == (1, 1)  # stride by pooling, not conv
    assert isinstance(block.downsample[0], torch.nn.AvgPool2d)
    assert tiny_resnet().layer2[1].downsample is None


def test_norm_cfg_and_bad_arguments():
    model = tiny_resnet(norm_cfg=dict(type='GN', num_groups=2))
    assert isinstance(model.bn1, torch.nn.GroupNorm)
    assert isinstance(model.attnpool.connect[1], torch.nn.GroupNorm)
    with pytest.raises(ValueError, match='out_indices'):
        tiny_resnet(out_indices=(1, 5))
    with pytest.raises(ValueError, match='4 block counts'):
        tiny_resnet(layers=(1, 1, 1))
    with pytest.raises(ValueError, match='divisible'):
        tiny_resnet(heads=3)
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        tiny_resnet()(torch.randn(3, 64, 64))
