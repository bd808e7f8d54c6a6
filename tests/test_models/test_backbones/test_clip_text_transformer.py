import pytest
import torch
from mmengine.registry import init_default_scope

from refseg.models.backbones.clip import CLIPTextTransformer
from refseg.registry import MODELS

init_default_scope('refseg')

EOT = 99


def tiny_text(**kwargs) -> CLIPTextTransformer:
    torch.manual_seed(0)
    cfg = dict(
        type='CLIPTextTransformer',
        context_length=12,
        vocab_size=100,
        width=32,
        layers=2,
        heads=4,
        embed_dim=16,
    )
    return MODELS.build({**cfg, **kwargs}).eval()


def test_outputs_and_pad_mask():
    model = tiny_text()
    ids = torch.tensor([[98, 5, 6, EOT, 0, 0, 0], [98, 7, 8, 9, 10, 11, EOT]])
    with torch.no_grad():
        out = model(ids)
    assert out['word_feats'].shape == (2, 7, 32)
    assert out['sent_feat'].shape == (2, 16)
    assert out['pad_mask'].tolist() == [[False] * 4 + [True] * 3, [False] * 7]


def test_sentence_feature_is_projected_eot_token():
    model = tiny_text()
    # EOT found by argmax, wherever it is; the last position is not used
    ids = torch.tensor([[98, 5, EOT, 0, 0], [98, 6, 7, 8, EOT]])
    with torch.no_grad():
        out = model(ids)
    expected = (
        torch.stack([out['word_feats'][0, 2], out['word_feats'][1, 4]]) @ model.text_projection
    )
    torch.testing.assert_close(out['sent_feat'], expected)
    # word features are after ln_final and not projected
    with torch.no_grad():
        x = model.embed(ids)
        for block in model.transformer.resblocks:
            x = block(x, attn_mask=model.causal_mask(5))
    torch.testing.assert_close(out['word_feats'], model.ln_final(x))
    torch.testing.assert_close(model.project(x)[[0, 1], [2, 4]], out['sent_feat'])


def test_causal_mask_makes_outputs_independent_of_later_tokens():
    model = tiny_text()
    ids = torch.tensor([[98, 5, 6, 7, 8, EOT]])
    changed = ids.clone()
    changed[0, 3:] = torch.tensor([40, 41, EOT])
    with torch.no_grad():
        before = model(ids)['word_feats']
        after = model(changed)['word_feats']
    torch.testing.assert_close(before[:, :3], after[:, :3])
    assert not torch.allclose(before[:, 3:], after[:, 3:])
    assert model.causal_mask(3).tolist() == [
        [False, True, True],
        [False, False, True],
        [False, False, False],
    ]


def test_short_sequences_use_first_positional_rows():
    """CRIS: L = 17 tokens with the 77-row table, mask built for L."""
    model = tiny_text()
    ids = torch.tensor([[98, 5, EOT]])
    expected = model.token_embedding(ids) + model.positional_embedding[:3]
    torch.testing.assert_close(model.embed(ids), expected)
    with torch.no_grad():
        short = model(ids)['word_feats']
        # padding after EOT does not change the earlier tokens (causal)
        padded = model(torch.tensor([[98, 5, EOT, 0, 0]]))['word_feats']
    torch.testing.assert_close(short, padded[:, :3])


def test_bad_token_ids():
    model = tiny_text()
    with pytest.raises(ValueError, match='context_length=12'):
        model(torch.ones(1, 13, dtype=torch.long))
    with pytest.raises(ValueError, match=r'\(B, L\)'):
        model(torch.ones(4, dtype=torch.long))
    with pytest.raises(ValueError, match='integer'):
        model(torch.ones(1, 4))
