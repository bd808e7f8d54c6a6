"""tools/model_converters/clip_{openai,hf}_to_refseg.py."""

from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope

from refseg.models.backbones.clip import CLIPResNet, CLIPTextTransformer, CLIPVisionTransformer
from script_loader import load_script

init_default_scope('refseg')

CONVERTERS = Path(__file__).parents[3] / 'tools' / 'model_converters'
RESNET = dict(layers=(1, 1, 1, 1), width=8, heads=4, input_resolution=64, output_dim=24)
TEXT = dict(context_length=12, vocab_size=100, width=32, layers=1, heads=4, embed_dim=24)


def save_openai_archive(path):
    """A TorchScript archive with OpenAI's key names (fp16), like RN50.pt."""
    torch.manual_seed(1)
    state_dict = {
        f'visual.{k}': v
        for k, v in CLIPResNet(**RESNET).state_dict().items()
        if 'attnpool.connect' not in k  # new in CRIS, not in CLIP
    }
    state_dict.update(CLIPTextTransformer(**TEXT).state_dict())
    state_dict.update(logit_scale=torch.tensor(4.6), input_resolution=torch.tensor(64))
    root = nn.Module()
    for key, value in state_dict.items():
        if key.endswith('running_var'):
            value = torch.full_like(value, 1.5)
        *names, leaf = key.split('.')
        module = root
        for name in names:
            if name not in module._modules:
                module.add_module(name, nn.Module())
            module = module._modules[name]
        module.register_buffer(leaf, value.half() if value.is_floating_point() else value)
    torch.jit.save(torch.jit.script(root), str(path))


def tower_outputs(backbone, text_encoder):
    images = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    ids = torch.tensor([[98, 3, 4, 99, 0]])
    with torch.no_grad():
        return backbone.eval()(images)[:2], text_encoder.eval()(ids)['sent_feat']


def test_openai_converter_output_loads_with_pretrained_prefix(tmp_path, monkeypatch, capsys):
    archive, converted = tmp_path / 'RN.pt', tmp_path / 'rn_refseg.pth'
    save_openai_archive(archive)
    monkeypatch.syspath_prepend(str(CONVERTERS))  # the converter imports _common
    script = load_script('tools/model_converters/clip_openai_to_refseg.py')
    script.main([str(archive), str(converted)])
    printed = capsys.readouterr().out
    assert "'type': 'CLIPResNet'" in printed and 'layers' in printed

    state_dict = torch.load(converted, weights_only=True)
    assert type(state_dict) is dict
    assert all(k.startswith(('backbone.', 'text_encoder.')) for k in state_dict)
    assert 'backbone.attnpool.c_proj.weight' in state_dict
    assert 'text_encoder.token_embedding.weight' in state_dict
    assert not any('logit_scale' in k or 'input_resolution' in k for k in state_dict)

    def pretrained(prefix):
        return dict(type='Pretrained', checkpoint=str(converted), prefix=prefix)

    via_converter = (
        CLIPResNet(**RESNET, init_cfg=pretrained('backbone.')),
        CLIPTextTransformer(**TEXT, init_cfg=pretrained('text_encoder.')),
    )
    clip_init = dict(type='CLIPPretrained', checkpoint=str(archive))
    torch.manual_seed(5)  # other random init: equality must come from loading
    direct = (
        CLIPResNet(**RESNET, init_cfg=clip_init),
        CLIPTextTransformer(**TEXT, init_cfg=clip_init),
    )
    for module in (*via_converter, *direct):
        module.init_weights()
    (c3, c4), sent = tower_outputs(*via_converter)
    (d3, d4), direct_sent = tower_outputs(*direct)
    torch.testing.assert_close(c3, d3)
    torch.testing.assert_close(c4, d4)
    torch.testing.assert_close(sent, direct_sent)

    with pytest.raises(SystemExit, match='clip_hf_to_refseg'):
        script.main([str(tmp_path), str(converted)])


def test_hf_converter_with_image_size(tmp_path, monkeypatch):
    transformers = pytest.importorskip('transformers')
    config = transformers.CLIPConfig(
        text_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            vocab_size=1000,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )
    folder = tmp_path / 'hf'
    transformers.CLIPModel(config).save_pretrained(str(folder))
    monkeypatch.syspath_prepend(str(CONVERTERS))  # the converter imports _common
    script = load_script('tools/model_converters/clip_hf_to_refseg.py')
    converted = script.main([str(folder), str(tmp_path / 'out.pth'), '--image-size', '64'])
    assert converted['backbone.positional_embedding'].shape == (1 + 8 * 8, 32)
    assert converted['backbone.proj'].shape == (32, 16)
    vit = CLIPVisionTransformer(
        input_resolution=64,
        patch_size=8,
        width=32,
        layers=1,
        heads=2,
        output_dim=16,
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'out.pth'), prefix='backbone.'),
    )
    vit.init_weights()
    torch.testing.assert_close(
        vit.positional_embedding.data, converted['backbone.positional_embedding']
    )
    with pytest.raises(SystemExit, match='is a file'):
        script.main([str(tmp_path / 'out.pth'), str(tmp_path / 'x.pth')])
