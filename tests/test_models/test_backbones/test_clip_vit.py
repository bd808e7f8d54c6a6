import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from refseg.models.backbones.clip import CLIPVisionTransformer
from refseg.registry import MODELS

init_default_scope('refseg')

TINY = dict(input_resolution=32, patch_size=8, width=32, layers=3, heads=4, output_dim=16)


def tiny_vit(**kwargs) -> CLIPVisionTransformer:
    torch.manual_seed(0)
    model = MODELS.build(dict(type='CLIPVisionTransformer', **{**TINY, **kwargs}))
    return model.eval()


def test_forward_outputs():
    model = tiny_vit(out_indices=(0, -1))
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert out['cls'].shape == (2, 16)
    assert out['patch_tokens'].shape == (2, 16, 16)
    assert out['grid'] == (4, 4)
    assert [tuple(b.shape) for b in out['block_outputs']] == [(2, 32, 4, 4)] * 2
    assert model.out_indices == (0, 2)


def test_stepwise_api_reproduces_forward():
    """RISCLIP's way: embed, each block, project on every token."""
    model = tiny_vit(out_indices=(1,))
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = model(images)
        tokens = model.embed(images)
        assert tokens.shape == (2, 1 + 16, 32)
        for index, block in enumerate(model.transformer.resblocks):
            tokens = block(tokens)
            if index == 1:
                block_map = tokens[:, 1:].transpose(1, 2).reshape(2, 32, 4, 4)
        projected = model.project(tokens)
    torch.testing.assert_close(out['cls'], projected[:, 0])
    torch.testing.assert_close(out['patch_tokens'], projected[:, 1:])
    torch.testing.assert_close(out['block_outputs'][0], block_map)
    # the class embedding is CLIP's: ln_post(cls) @ proj
    torch.testing.assert_close(out['cls'], model.ln_post(tokens[:, 0]) @ model.proj)


def test_positional_embedding_is_resized_for_other_inputs():
    model = tiny_vit()
    images = torch.randn(1, 3, 48, 64)  # grid 6x8 instead of 4x4
    with torch.no_grad():
        out = model(images)
        tokens = model.embed(images)
        patches = model.conv1(images).flatten(2).transpose(1, 2)
        grid = model.positional_embedding[1:].reshape(1, 4, 4, 32)
        grid = (
            F.interpolate(
                grid.permute(0, 3, 1, 2), size=(6, 8), mode='bicubic', align_corners=False
            )
            .flatten(2)
            .transpose(1, 2)
        )
        expected = model.ln_pre(
            torch.cat(
                [
                    (model.class_embedding + model.positional_embedding[0]).expand(1, 1, 32),
                    patches + grid,
                ],
                1,
            )
        )
    assert out['grid'] == (6, 8)
    assert out['patch_tokens'].shape == (1, 48, 16)
    torch.testing.assert_close(tokens, expected, atol=1e-5, rtol=1e-5)


def test_openai_key_names():
    keys = set(tiny_vit().state_dict())
    assert {
        'conv1.weight',
        'class_embedding',
        'positional_embedding',
        'ln_pre.weight',
        'transformer.resblocks.0.attn.in_proj_weight',
        'transformer.resblocks.2.mlp.c_proj.bias',
        'ln_post.bias',
        'proj',
    } <= keys
    assert 'conv1.bias' not in keys


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match='patch size 8'):
        tiny_vit()(torch.randn(1, 3, 36, 32))
    with pytest.raises(ValueError, match='out_indices'):
        tiny_vit(out_indices=(3,))
    with pytest.raises(ValueError, match='multiple of patch_size'):
        tiny_vit(input_resolution=30)
