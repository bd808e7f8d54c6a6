"""NoTargetHead alone and inside the tiny CRIS and RISCLIP segmentors."""

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.models.segmentors.ref_segmentor import select_batch
from refseg.registry import MODELS
from refseg.structures import letterbox_matrix

CRIS_GRES = 'configs/synthetic/cris_tiny_synthetic-gres.py'
RISCLIP_GRES = 'configs/synthetic/risclip_tiny_synthetic-gres.py'


def head(**kwargs):
    init_default_scope('refseg')
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='NoTargetHead', in_channels=8, text_channels=6, channels=16, num_heads=2, **kwargs
        )
    )


def samples(no_targets, size=96, text='all the red shapes'):
    matrix = letterbox_matrix(48, 64, size)
    out = []
    for no_target in no_targets:
        sample = SegDataSample(
            metainfo=dict(
                text=text, ori_shape=(48, 64), img_shape=(size, size), letterbox_matrix=matrix
            )
        )
        if no_target is not None:
            sample.set_metainfo(dict(no_target=no_target))
        out.append(sample)
    return out


def test_forward_labels_and_loss():
    model = head()
    feats = dict(vis_feats=torch.randn(3, 8, 4, 5), sent_feat=torch.randn(3, 6))
    assert model(feats).shape == (3,)
    data_samples = samples([True, False, None])
    gt = torch.zeros(1, 6, 6, dtype=torch.long)
    data_samples[2].gt_sem_seg = PixelData(data=gt)  # empty: no target
    assert model.labels(data_samples).tolist() == [1.0, 0.0, 1.0]
    gt[0, 2, 2] = 1
    assert model.labels(data_samples).tolist() == [1.0, 0.0, 0.0]
    loss = model.loss(feats, data_samples)['loss_no_target']
    labels = torch.tensor([1.0, 0.0, 0.0])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(model(feats), labels)
    assert torch.allclose(loss, expected)
    with pytest.raises(KeyError, match='needs features'):
        model(dict(sent_feat=feats['sent_feat']))
    with pytest.raises(KeyError, match='neither "no_target"'):
        model.labels(samples([None]))


def test_the_head_learns_which_expressions_have_no_target():
    model = head()
    torch.manual_seed(1)
    feats = dict(vis_feats=torch.randn(8, 8, 4, 4), sent_feat=torch.randn(8, 6))
    data_samples = samples([True, False] * 4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        loss = model.loss(feats, data_samples)['loss_no_target']
        first = float(loss) if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < 0.1 * first


def test_gate_empties_masks_and_reports_scores():
    model = head(threshold=0.5)
    feats = dict(vis_feats=torch.randn(2, 8, 4, 4), sent_feat=torch.randn(2, 6))
    probs = torch.rand(2, 1, 6, 6)
    data_samples = samples([None, None])
    with torch.no_grad():
        model.classifier[-1].bias.fill_(30.0)  # certain: no target
        gated = model.gate(feats, probs, data_samples)
    assert torch.equal(gated, torch.zeros_like(probs))
    assert all(s.no_target_score > 0.99 and s.pred_no_target is True for s in data_samples)
    with torch.no_grad():
        model.classifier[-1].bias.fill_(-30.0)  # certain: a target
        gated = model.gate(feats, probs, data_samples)
    assert torch.equal(gated, probs)
    assert all(s.no_target_score < 0.01 and s.pred_no_target is False for s in data_samples)
    with pytest.raises(ValueError, match='threshold'):
        head(threshold=1.0)


@pytest.fixture(scope='module')
def cris():
    init_default_scope('refseg')
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(CRIS_GRES).model)


def test_cris_trains_the_head_beside_the_mask(cris):
    cris.train()
    inputs = torch.randn(2, 3, 96, 96)
    data_samples = samples([False, True])
    gt = torch.zeros(1, 96, 96, dtype=torch.long)
    gt[0, 10:30, 10:30] = 1
    data_samples[0].gt_sem_seg = PixelData(data=gt)
    data_samples[1].gt_sem_seg = PixelData(data=torch.zeros_like(gt))
    losses = cris.loss(inputs, data_samples)
    assert set(losses) == {'decode.loss_ce', 'no_target.loss_no_target'}
    cris.zero_grad()
    losses['no_target.loss_no_target'].backward()
    # The BCE reaches the shared cross-modal features, not only the head.
    assert cris.no_target_head.classifier[-1].weight.grad is not None
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in cris.neck.parameters())


def test_cris_prediction_is_empty_when_the_head_says_no_target(cris):
    cris.eval()
    inputs = torch.randn(2, 3, 96, 96)
    head = cris.no_target_head
    with torch.no_grad():
        head.classifier[-1].bias.fill_(-30.0)
        kept = cris.predict(inputs, samples([None, None]))
        cris.no_target_head = None  # the same model without the head
        plain = cris.predict(inputs, samples([None, None]))
        cris.no_target_head = head
        head.classifier[-1].bias.fill_(30.0)
        emptied = cris.predict(inputs, samples([None, None]))
    for with_head, without in zip(kept, plain):
        assert with_head.no_target_score < 0.01 and 'no_target_score' not in without
        assert torch.equal(with_head.pred_sem_seg.data, without.pred_sem_seg.data)
    for sample in emptied:
        assert sample.no_target_score > 0.99
        assert sample.pred_sem_seg.data.shape == (1, 48, 64)
        assert not sample.pred_sem_seg.data.any()


def test_mask_loss_on_targets_only_skips_the_empty_targets(cris):
    cris.eval()  # deterministic: no dropout, fixed batch-norm statistics
    torch.manual_seed(0)
    inputs = torch.randn(3, 3, 96, 96)
    gt = torch.zeros(1, 96, 96, dtype=torch.long)
    gt[0, 10:30, 10:30] = 1

    def batch(flags):
        data_samples = samples(flags)
        for sample, no_target in zip(data_samples, flags):
            sample.gt_sem_seg = PixelData(data=torch.zeros_like(gt) if no_target else gt)
        return data_samples

    cris.no_target_head.mask_loss_on_targets_only = True
    try:
        with torch.no_grad():
            mixed = cris.loss(inputs, batch([False, True, False]))['decode.loss_ce']
            none = cris.loss(inputs, batch([True, True, True]))['decode.loss_ce']
        cris.no_target_head.mask_loss_on_targets_only = False
        with torch.no_grad():
            feats = cris.extract_feat(inputs, batch([False, True, False]))
            targets_only = cris.decode_head.loss(
                select_batch(feats, torch.tensor([0, 2])), batch([False, False]), None
            )['loss_ce']
            every = cris.loss(inputs, batch([False, True, False]))['decode.loss_ce']
    finally:
        cris.no_target_head.mask_loss_on_targets_only = False
    assert torch.allclose(mixed, targets_only)
    assert not torch.allclose(mixed, every)
    assert float(none) == 0.0


def test_risclip_trains_the_head_in_stage_two():
    init_default_scope('refseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(RISCLIP_GRES).model)
    assert all(p.requires_grad for p in model.no_target_head.parameters())
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert not any(p.requires_grad for p in model.ske.parameters())
    model.train()
    data_samples = samples([True, False], size=64)
    for sample in data_samples:
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, 64, 64, dtype=torch.long))
    data_samples[1].gt_sem_seg.data[0, 5:20, 5:20] = 1
    losses = model.loss(torch.randn(2, 3, 64, 64), data_samples)
    assert 'no_target.loss_no_target' in losses
    losses['no_target.loss_no_target'].backward()
    assert model.no_target_head.visual_proj.weight.grad is not None


def _gres_configs():
    import glob

    found = []
    for path in sorted(glob.glob('configs/*/*.py')):
        if ('gres' in path or 'grefcoco' in path) and 'no-head' not in path:
            found.append(path)
    return found


@pytest.mark.parametrize('config', _gres_configs())
def test_every_gres_config_trains_its_head(config):
    """The head's channels match the features each model hands it: one loss step."""
    init_default_scope('refseg')
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)  # random weights: no CLIP file needed
    assert model.no_target_head is not None
    size = 64  # small, so that the RefCOCO-size models stay quick
    data_samples = samples([True, False], size=size)
    for sample, filled in zip(data_samples, (False, True)):
        gt = torch.zeros(1, size, size)
        gt[0, 4:12, 4:12] = float(filled)
        sample.gt_sem_seg = PixelData(data=gt)
    model.train()
    losses = model.loss(torch.randn(2, 3, size, size), data_samples)
    (key,) = [k for k in losses if k.endswith('loss_no_target')]
    assert torch.isfinite(losses[key])
    losses[key].backward()
    assert model.no_target_head.visual_proj.weight.grad is not None


def test_tiny_clip_risclip_head_decides_alone():
    """The tiny-CLIP RISCLIP gRES recipe: its mask loss skips the no-target samples, through
    RISCLIP's own feature dict (tuples, token ids, masks), in stage 1."""
    init_default_scope('refseg')
    torch.manual_seed(0)
    cfg = Config.fromfile('configs/synthetic/risclip_vit-tiny-clip_synthetic-gres_stage1.py')
    model = MODELS.build(cfg.model)  # no init_weights: the CLIP file is not needed
    assert model.no_target_head.mask_loss_on_targets_only
    assert model.no_target_head.threshold == 0.45
    model.train()
    data_samples = samples([True, True], size=96)
    for sample in data_samples:
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, 96, 96, dtype=torch.long))
    inputs = torch.randn(2, 3, 96, 96)
    losses = model.loss(inputs, data_samples)
    decode = [v for k, v in losses.items() if k.startswith('decode.') and 'loss' in k]
    assert decode and all(float(v) == 0.0 for v in decode)
    data_samples[1].set_metainfo(dict(no_target=False))
    data_samples[1].gt_sem_seg.data[0, 20:50, 20:50] = 1
    losses = model.loss(inputs, data_samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert any(float(v) > 0 for k, v in losses.items() if k.startswith('decode.'))
    assert model.no_target_head.classifier[-1].weight.grad is not None
