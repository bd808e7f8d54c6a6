"""The worked example of docs/customize.md: a word-level fusion neck plugged into
RefSegmentor by one config."""

import os.path as osp
import re

import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DOC = osp.join(REPO, 'docs', 'customize.md')
TINY = osp.join(REPO, 'configs', 'synthetic', 'cris_tiny_synthetic.py')


def docs_config(tmp_path) -> Config:
    """The config block of docs/customize.md, with its base found in configs/synthetic."""
    text = open(DOC, encoding='utf-8').read()
    match = re.search(r'<!-- customize-example-config.*?-->\n```python\n(.*?)```', text, re.S)
    assert match, 'docs/customize.md lost its example config block'
    block = match.group(1).replace("'./cris_tiny_synthetic.py'", repr(TINY))
    path = tmp_path / 'wordattn_tiny_synthetic.py'
    path.write_text(block)
    return Config.fromfile(str(path))


def samples(texts, size=128):
    out = []
    for i, text in enumerate(texts):
        sample = SegDataSample()
        sample.set_metainfo(dict(text=text, img_shape=(size, size), ori_shape=(size, size)))
        mask = torch.zeros(1, size, size)
        mask[:, 16 * i : 16 * i + 48, 32:96] = 1
        sample.gt_sem_seg = PixelData(data=mask)
        out.append(sample)
    return out


def test_docs_config_builds_and_trains(tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(docs_config(tmp_path).model)
    assert type(model.neck).__name__ == 'WordAttentionNeck'
    losses = model.loss(torch.randn(2, 3, 128, 128), samples(['the red circle', 'a square']))
    losses['decode.loss_ce'].backward()
    assert torch.isfinite(losses['decode.loss_ce'])
    for module in (model.neck.in_proj, model.neck.attn.in_proj_weight, model.neck.gate[0]):
        weight = module if isinstance(module, torch.Tensor) else module.weight
        assert weight.grad is not None and weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.text_encoder.token_embedding.weight.grad.abs().sum() > 0


def test_neck_reads_the_words_and_ignores_padding():
    torch.manual_seed(0)
    neck = MODELS.build(
        dict(type='WordAttentionNeck', in_channels=8, text_channels=6, out_channels=8, num_heads=2)
    ).eval()
    img_feats = (torch.randn(2, 8, 4, 4),)
    words = torch.randn(2, 5, 6)
    pad_mask = torch.tensor([[False, False, False, True, True]] * 2)
    with torch.no_grad():
        out = neck(img_feats, dict(word_feats=words, pad_mask=pad_mask))
        assert out.shape == (2, 8, 4, 4)
        padded = words.clone()
        padded[:, 3:] = torch.randn(2, 2, 6)
        torch.testing.assert_close(neck(img_feats, dict(word_feats=padded, pad_mask=pad_mask)), out)
        other = words.clone()
        other[:, 1] = torch.randn(2, 6)
        changed = neck(img_feats, dict(word_feats=other, pad_mask=pad_mask))
    assert not torch.allclose(changed, out, atol=1e-4)
