"""CRIS against the official model: module sizes, shapes at 416 and the checkpoint
converter (official layout -> refseg, identical predictions)."""

import argparse
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from refseg.models.utils.cris_checkpoint import cris_official_to_refseg, refseg_to_cris_official
from refseg.registry import MODELS
from script_loader import load_script

init_default_scope('refseg')

ROOT = osp.join(osp.dirname(__file__), '..', '..')


def build_on_meta(config: str):
    """The full-size model without allocating or loading weights."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'cris', config))
    with torch.device('meta'):
        return MODELS.build(cfg.model)


def millions(module) -> float:
    return round(sum(p.numel() for p in module.parameters()) / 1e6, 2)


# Official CRIS (cris.md §2-4, computed from the official layer shapes).
@pytest.mark.parametrize(
    'config, neck, projector, new, total',
    [
        ('cris_r50_refcoco.py', 24.14, 5.97, 44.84, 146.85),
        ('cris_r101_refcoco.py', 23.09, 4.79, 41.56, None),
    ],
)
def test_parameter_counts_match_official(config, neck, projector, new, total):
    model = build_on_meta(config)
    head = model.decode_head
    assert millions(model.neck) == neck
    assert millions(head.decoder) == 12.63
    assert millions(head.projector) == projector
    new_modules = (model.neck, head, model.backbone.attnpool.connect)
    new_params = sum(p.numel() for m in new_modules for p in m.parameters())
    assert round(new_params / 1e6, 2) == new
    if total is not None:
        # official 146.85 M includes CLIP's unused logit_scale (one scalar)
        assert millions(model) == total


def test_shapes_at_416():
    model = build_on_meta('cris_r50_refcoco.py').eval()
    with torch.device('meta'):
        img_feats = (
            torch.empty(2, 512, 52, 52),
            torch.empty(2, 1024, 26, 26),
            torch.empty(2, 1024, 13, 13),
        )
        sent_feat = torch.empty(2, 1024)
        vis_feats = model.neck(img_feats, dict(sent_feat=sent_feat))
        logits = model.decode_head(
            dict(
                vis_feats=vis_feats,
                word_feats=torch.empty(2, 17, 512),
                pad_mask=torch.zeros(2, 17, dtype=torch.bool),
                sent_feat=sent_feat,
            )
        )
    assert vis_feats.shape == (2, 512, 26, 26)
    assert logits.shape == (2, 1, 104, 104)


def test_official_key_layout():
    """The names of cris.md §11 (checkpoint compatibility)."""
    model = build_on_meta('cris_r50_refcoco.py')
    official = refseg_to_cris_official(model.state_dict())
    modules = {key.rsplit('.', 1)[0] for key in official}
    neck = {m[len('neck.') :] for m in modules if m.startswith('neck.')}
    cbr = (
        'f1_v_proj',
        'f2_v_proj',
        'f2_cat',
        'f3_v_proj',
        'f3_cat',
        'f4_proj5',
        'f4_proj4',
        'f4_proj3',
        'aggr',
        'coordconv.1',
    )
    assert neck == {
        'txt_proj.0',
        'txt_proj.1',
        'norm_layer.0',
        'coordconv.0.conv1.0',
        'coordconv.0.conv1.1',
    } | {f'{n}.{i}' for n in cbr for i in (0, 1)}
    assert {m for m in modules if m.startswith('proj.')} == {
        'proj.vis.1.0',
        'proj.vis.1.1',
        'proj.vis.3.0',
        'proj.vis.3.1',
        'proj.vis.4',
        'proj.txt',
    }
    assert 'decoder.layers.2.ffn.3.weight' in official
    assert 'decoder.norm.bias' in official
    assert 'backbone.visual.attnpool.connect.1.running_var' in official
    assert 'backbone.token_embedding.weight' in official
    assert official['backbone.positional_embedding'].shape == (77, 512)
    assert not any(key.startswith(('decode_head', 'text_encoder')) for key in official)


TINY_MODEL = dict(
    type='RefSegmentor',
    context_length=8,
    backbone=dict(
        type='CLIPResNet', layers=(1, 1, 1, 1), width=8, heads=2, input_resolution=64, output_dim=32
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=12,
        vocab_size=64,
        width=16,
        layers=1,
        heads=2,
        embed_dim=24,
    ),
    neck=dict(type='CRISNeck', in_channels=(64, 128, 32), out_channels=(8, 16, 32), state_dim=24),
    decode_head=dict(
        type='CRISHead',
        in_channels=16,
        decoder=dict(
            type='VLTransformerDecoder', num_layers=1, embed_dims=16, num_heads=2, ffn_dims=32
        ),
        projector=dict(type='TextPixelProjector', in_channels=16, channels=8, text_channels=24),
    ),
)


def tiny_model(seed: int):
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(TINY_MODEL))
    with torch.no_grad():
        for buffer_name, buffer in model.named_buffers():
            if buffer_name.endswith(('running_mean', 'running_var')):
                buffer.uniform_(0.5, 1.5)
    return model.eval()


def test_converted_official_checkpoint_gives_identical_predictions(tmp_path):
    source = tiny_model(seed=0)
    official = refseg_to_cris_official(source.state_dict())
    # as the official trainer saves it: DDP prefix, CLIP's logit_scale, extra entries
    state_dict = {f'module.{key}': value for key, value in official.items()}
    state_dict['module.backbone.logit_scale'] = torch.tensor(4.6052)
    src, dst = tmp_path / 'best_model.pth', tmp_path / 'refseg.pth'
    torch.save(
        dict(
            epoch=7,
            cur_iou=0.5,
            best_iou=0.6,
            state_dict=state_dict,
            optimizer=dict(state={}, param_groups=[]),
        ),
        src,
    )

    load_script('tools/model_converters/cris_official_to_refseg.py').main([str(src), str(dst)])

    target = tiny_model(seed=1)
    target.load_state_dict(torch.load(dst, weights_only=True)['state_dict'], strict=True)
    images = torch.randn(2, 3, 64, 64)
    token_ids = torch.tensor([[49, 5, 6, 63, 0, 0, 0, 0], [49, 7, 8, 9, 10, 11, 63, 0]])
    with torch.no_grad():
        expected = source.forward_tokens(images, token_ids)
        got = target.forward_tokens(images, token_ids)
        unrelated = tiny_model(seed=1).forward_tokens(images, token_ids)
    assert torch.equal(got, expected)
    assert not torch.allclose(unrelated, expected)


def test_round_trip_and_unknown_keys():
    state_dict = tiny_model(seed=0).state_dict()
    back = cris_official_to_refseg(refseg_to_cris_official(state_dict))
    assert list(back) == list(state_dict)
    with pytest.raises(KeyError, match='head.fc.weight'):
        cris_official_to_refseg({'head.fc.weight': torch.zeros(1)})


def test_tool_refuses_unsafe_pickles(tmp_path):
    src = tmp_path / 'unsafe.pth'
    torch.save(dict(state_dict={}, args=argparse.Namespace(lr=1e-4)), src)
    tool = load_script('tools/model_converters/cris_official_to_refseg.py')
    with pytest.raises(ValueError, match='weights_only'):
        tool.load_official_state_dict(str(src))
    with pytest.raises(FileNotFoundError):
        tool.load_official_state_dict(str(tmp_path / 'missing.pth'))
