"""refseg's towers loaded from a Hugging Face CLIP model give transformers'
features (tiny random model saved locally; no network)."""

import pytest
import torch
from mmengine.registry import init_default_scope

from refseg.models.backbones.clip import (
    CLIPTextTransformer,
    CLIPVisionTransformer,
    convert_hf_clip_state_dict,
    load_clip_state_dict,
)

transformers = pytest.importorskip('transformers')
init_default_scope('refseg')

EOT = 49407  # CLIP's BPE: the largest id, so argmax finds it


@pytest.fixture(scope='module')
def hf_clip(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.CLIPConfig(
        text_config=dict(
            hidden_size=32,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            eos_token_id=EOT,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )
    model = transformers.CLIPModel(config).eval()
    # random, not HF's ones/zeros, so that a layer norm mapped to the wrong
    # place would show
    with torch.no_grad():
        for name, param in model.named_parameters():
            if 'norm' in name or 'layrnorm' in name:
                param.normal_(1.0 if name.endswith('weight') else 0.0, 0.1)
    folder = tmp_path_factory.mktemp('hf_clip')
    model.save_pretrained(str(folder))
    return model, folder


def towers(checkpoint):
    init_cfg = dict(type='CLIPPretrained', checkpoint=str(checkpoint))
    vit = CLIPVisionTransformer(
        input_resolution=32,
        patch_size=8,
        width=32,
        layers=2,
        heads=4,
        output_dim=16,
        init_cfg=init_cfg,
    )
    text = CLIPTextTransformer(width=32, layers=2, heads=4, embed_dim=16, init_cfg=init_cfg)
    vit.init_weights()
    text.init_weights()
    return vit.eval(), text.eval()


def test_features_match_transformers(hf_clip):
    model, folder = hf_clip
    vit, text = towers(folder)
    ids = torch.tensor([[49406, 320, 1929, EOT, 0, 0, 0], [49406, 320, 1125, 530, 518, 2184, EOT]])
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        hf_text = model.get_text_features(input_ids=ids)
        hf_image = model.get_image_features(pixel_values=images)
        hf_patches = model.visual_projection(
            model.vision_model.post_layernorm(hf_image.last_hidden_state[:, 1:])
        )
        ours_text = text(ids)
        ours_image = vit(images)
    tol = dict(atol=1e-5, rtol=0)
    torch.testing.assert_close(ours_text['word_feats'], hf_text.last_hidden_state, **tol)
    torch.testing.assert_close(ours_text['sent_feat'], hf_text.pooler_output, **tol)
    torch.testing.assert_close(ours_image['cls'], hf_image.pooler_output, **tol)
    torch.testing.assert_close(ours_image['patch_tokens'], hf_patches, **tol)


def test_hf_layout_files_are_converted(hf_clip, tmp_path):
    """A bare HF state dict file loads like the folder."""
    model, folder = hf_clip
    from_folder = load_clip_state_dict(str(folder))
    bare = tmp_path / 'pytorch_model.bin'
    torch.save(model.state_dict(), bare)
    from_file = load_clip_state_dict(str(bare))
    assert from_file.keys() == from_folder.keys()
    for key, value in from_folder.items():
        torch.testing.assert_close(from_file[key], value)
    # q, k, v are concatenated in this order, projections are transposed
    layer = model.text_model.encoder.layers[1].self_attn
    torch.testing.assert_close(
        from_folder['transformer.resblocks.1.attn.in_proj_weight'],
        torch.cat([layer.q_proj.weight, layer.k_proj.weight, layer.v_proj.weight]),
    )
    torch.testing.assert_close(from_folder['visual.proj'], model.visual_projection.weight.t())
    torch.testing.assert_close(
        from_folder['visual.ln_pre.weight'], model.vision_model.pre_layrnorm.weight
    )


def test_unknown_hf_keys_and_folders_are_rejected(hf_clip, tmp_path):
    model, _ = hf_clip
    state_dict = dict(model.state_dict())
    state_dict['text_model.encoder.layers.0.extra.weight'] = torch.ones(1)
    with pytest.raises(ValueError, match='extra.weight'):
        convert_hf_clip_state_dict(state_dict)
    (tmp_path / 'config.json').write_text('{"model_type": "bert"}')
    with pytest.raises(ValueError, match="model_type='bert'"):
        load_clip_state_dict(str(tmp_path))
    (tmp_path / 'config.json').write_text('{"model_type": "clip"}')
    with pytest.raises(FileNotFoundError, match='model.safetensors'):
        load_clip_state_dict(str(tmp_path))


def test_hub_ids_go_through_transformers_only(monkeypatch, tmp_path):
    requested = []

    def offline(repo_id, *args, **kwargs):
        requested.append(repo_id)
        raise OSError('offline')

    monkeypatch.setattr(transformers.CLIPModel, 'from_pretrained', offline)
    with pytest.raises(FileNotFoundError, match='hub id failed: offline'):
        load_clip_state_dict('openai/clip-vit-base-patch16')
    assert requested == ['openai/clip-vit-base-patch16']
    # mistyped local paths are not sent to the hub
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'pretrain').mkdir()
    for path in ('pretrain/RN50.pt', 'pretrain/ViT-B-16', 'other/RN50.pt'):
        with pytest.raises(FileNotFoundError, match='not found'):
            load_clip_state_dict(path)
    assert requested == ['openai/clip-vit-base-patch16']
