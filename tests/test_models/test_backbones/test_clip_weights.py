"""Loading CLIP checkpoints: OpenAI TorchScript archives, plain state dicts,
Hugging Face folders (parity with transformers), errors."""

import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope

from refseg.models.backbones.clip import (
    CLIPResNet,
    CLIPTextTransformer,
    CLIPVisionTransformer,
    clip_to_refseg_state_dict,
    infer_clip_config,
    load_clip_state_dict,
    resize_pos_embed,
    split_clip_state_dict,
)
from refseg.models.backbones.clip import weights as clip_weights

init_default_scope('refseg')

RESNET = dict(layers=(1, 2, 1, 1), width=8, heads=4, input_resolution=64, output_dim=24)
VIT = dict(input_resolution=32, patch_size=8, width=32, layers=2, heads=4, output_dim=16)
TEXT = dict(context_length=12, vocab_size=100, width=32, layers=2, heads=4, embed_dim=24)


def randomized(module: nn.Module, seed: int) -> nn.Module:
    """Random values everywhere (BN statistics too), rounded to fp16 so that
    an fp16 checkpoint of them loads back exactly."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if tensor.is_floating_point():
                values = torch.rand(tensor.shape, generator=generator)
                if name.endswith('running_var'):
                    values = values + 0.5
                else:
                    values = (values - 0.5) * 0.4
                tensor.copy_(values.half().float())
    return module.eval()


def openai_state_dict(visual: nn.Module, text: nn.Module) -> dict:
    """The key layout of OpenAI's CLIP archives, fp16 like them."""
    state_dict = {f'visual.{k}': v for k, v in visual.state_dict().items()}
    state_dict.update(text.state_dict())
    state_dict['logit_scale'] = torch.tensor(4.6052)
    state_dict.update(
        input_resolution=torch.tensor(64),
        context_length=torch.tensor(12),
        vocab_size=torch.tensor(100),
    )
    return {
        key: value.half() if value.is_floating_point() else value
        for key, value in state_dict.items()
        if 'attnpool.connect' not in key  # new in CRIS, not in CLIP
    }


def save_torchscript(state_dict: dict, path) -> None:
    """A TorchScript archive holding ``state_dict`` under the same names."""
    root = nn.Module()
    for key, value in state_dict.items():
        *names, leaf = key.split('.')
        module = root
        for name in names:
            if name not in module._modules:
                module.add_module(name, nn.Module())
            module = module._modules[name]
        module.register_buffer(leaf, value.clone())
    torch.jit.save(torch.jit.script(root), str(path))


@pytest.fixture(scope='module')
def sources():
    """Random source towers (seed 1) and their OpenAI-layout state dict."""
    towers = dict(
        resnet=randomized(CLIPResNet(**RESNET), 1),
        vit=randomized(CLIPVisionTransformer(**VIT), 2),
        text=randomized(CLIPTextTransformer(**TEXT), 3),
    )
    return towers


@pytest.fixture(scope='module')
def checkpoints(sources, tmp_path_factory):
    root = tmp_path_factory.mktemp('clip')
    files = {}
    for kind in ('resnet', 'vit'):
        state_dict = openai_state_dict(sources[kind], sources['text'])
        files[f'{kind}_plain'] = root / f'{kind}_state_dict.pth'
        torch.save(state_dict, files[f'{kind}_plain'])
        files[f'{kind}_jit'] = root / f'{kind}_jit.pt'
        save_torchscript(state_dict, files[f'{kind}_jit'])
    return files


def build(cls, cfg, checkpoint=None, seed=0):
    torch.manual_seed(seed)
    init_cfg = (
        None if checkpoint is None else dict(type='CLIPPretrained', checkpoint=str(checkpoint))
    )
    model = cls(**cfg, init_cfg=init_cfg)
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('fmt', ['plain', 'jit'])
def test_openai_resnet_round_trip(sources, checkpoints, fmt):
    model = build(CLIPResNet, RESNET, checkpoints[f'resnet_{fmt}'])
    fresh_connect = build(CLIPResNet, RESNET).attnpool.connect.state_dict()
    # CRIS's connect is not in CLIP: it keeps its own initialisation
    for key, value in model.attnpool.connect.state_dict().items():
        torch.testing.assert_close(value, fresh_connect[key])
    assert model.conv1.weight.dtype == torch.float32  # cast from fp16
    model.attnpool.connect.load_state_dict(sources['resnet'].attnpool.connect.state_dict())
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for out, expected in zip(model(images), sources['resnet'](images)):
            torch.testing.assert_close(out, expected)


@pytest.mark.parametrize('fmt', ['plain', 'jit'])
def test_openai_vit_and_text_round_trip(sources, checkpoints, fmt):
    vit = build(CLIPVisionTransformer, VIT, checkpoints[f'vit_{fmt}'])
    text = build(CLIPTextTransformer, TEXT, checkpoints[f'vit_{fmt}'])
    images = torch.randn(2, 3, 32, 32)
    ids = torch.tensor([[98, 4, 5, 99, 0], [98, 6, 7, 8, 99]])
    with torch.no_grad():
        out, expected = vit(images), sources['vit'](images)
        torch.testing.assert_close(out['cls'], expected['cls'])
        torch.testing.assert_close(out['patch_tokens'], expected['patch_tokens'])
        out, expected = text(ids), sources['text'](ids)
        for key in ('word_feats', 'sent_feat'):
            torch.testing.assert_close(out[key], expected[key])


def test_loaded_state_dict_split_and_inferred_config(checkpoints):
    state_dict = load_clip_state_dict(checkpoints['resnet_jit'])
    assert state_dict['visual.conv1.weight'].dtype == torch.float16
    parts = split_clip_state_dict(state_dict)
    assert 'conv1.weight' in parts['visual']
    assert 'token_embedding.weight' in parts['text']
    all_keys = set(parts['visual']) | set(parts['text'])
    assert not {'logit_scale', 'input_resolution', 'context_length', 'vocab_size'} & all_keys
    assert infer_clip_config(state_dict) == dict(
        visual=dict(
            type='CLIPResNet',
            layers=(1, 2, 1, 1),
            width=8,
            heads=4,
            input_resolution=64,
            output_dim=24,
        ),
        text=dict(
            type='CLIPTextTransformer',
            context_length=12,
            vocab_size=100,
            width=32,
            layers=2,
            heads=1,
            embed_dim=24,
        ),
    )
    vit_config = infer_clip_config(load_clip_state_dict(checkpoints['vit_plain']))['visual']
    assert vit_config == dict(
        type='CLIPVisionTransformer',
        input_resolution=32,
        patch_size=8,
        width=32,
        layers=2,
        heads=1,
        output_dim=16,
    )


def test_refseg_layout(checkpoints):
    converted = clip_to_refseg_state_dict(load_clip_state_dict(checkpoints['vit_plain']))
    assert 'backbone.proj' in converted
    assert 'text_encoder.text_projection' in converted
    assert all(key.startswith(('backbone.', 'text_encoder.')) for key in converted)
    assert 'logit_scale' not in converted


def test_positional_tables_fit_the_module(checkpoints):
    state_dict = load_clip_state_dict(checkpoints['vit_plain'])
    vit = build(CLIPVisionTransformer, {**VIT, 'input_resolution': 64}, checkpoints['vit_plain'])
    expected = resize_pos_embed(state_dict['visual.positional_embedding'].float(), (8, 8))
    torch.testing.assert_close(vit.positional_embedding.data, expected)
    text = build(CLIPTextTransformer, {**TEXT, 'context_length': 8}, checkpoints['vit_plain'])
    torch.testing.assert_close(
        text.positional_embedding.data, state_dict['positional_embedding'][:8].float()
    )


def test_new_and_missing_keys_are_logged(checkpoints, monkeypatch):
    messages = []
    monkeypatch.setattr(clip_weights, 'print_log', lambda msg, **kwargs: messages.append(msg))
    build(CLIPResNet, RESNET, checkpoints['resnet_plain'])
    assert any('newly initialised' in m and 'attnpool.connect.0.weight' in m for m in messages)
    assert not any(m.startswith('missing') for m in messages)


def test_mismatched_config_names_the_checkpoint_architecture(checkpoints):
    with pytest.raises(ValueError, match=r"layer1\.0\.conv1\.weight.*'width': 8"):
        build(CLIPResNet, {**RESNET, 'width': 16}, checkpoints['resnet_plain'])
    with pytest.raises(ValueError, match='holds a CLIPResNet image tower'):
        build(CLIPVisionTransformer, VIT, checkpoints['resnet_plain'])
    with pytest.raises(ValueError, match='text_projection'):
        build(CLIPTextTransformer, {**TEXT, 'embed_dim': 8}, checkpoints['resnet_plain'])


def test_bad_sources(tmp_path, checkpoints):
    with pytest.raises(FileNotFoundError, match='not found'):
        load_clip_state_dict(str(tmp_path / 'RN50.pt'))
    garbage = tmp_path / 'garbage.pt'
    garbage.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='weights-only'):
        load_clip_state_dict(str(garbage))
    pickled = tmp_path / 'pickled.pt'
    torch.save({'model': nn.Linear(2, 2)}, pickled)  # needs full unpickling
    with pytest.raises(ValueError, match='weights-only'):
        load_clip_state_dict(str(pickled))
    refseg_file = tmp_path / 'refseg.pth'
    torch.save(
        clip_to_refseg_state_dict(load_clip_state_dict(checkpoints['vit_plain'])), refseg_file
    )
    with pytest.raises(ValueError, match='refseg state dict'):
        load_clip_state_dict(str(refseg_file))
    (tmp_path / 'folder').mkdir()
    with pytest.raises(FileNotFoundError, match='config.json'):
        load_clip_state_dict(str(tmp_path / 'folder'))
    with pytest.raises(TypeError, match='CLIPPretrained initialises'):
        clip_weights.CLIPPretrained(str(refseg_file))(nn.Linear(2, 2))


def test_nested_and_ddp_prefixed_state_dicts(checkpoints, tmp_path):
    state_dict = torch.load(checkpoints['vit_plain'], weights_only=True)
    nested = tmp_path / 'nested.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in state_dict.items()}}, nested)
    loaded = load_clip_state_dict(str(nested))
    assert loaded.keys() == state_dict.keys()
