import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from refseg.registry import PARAM_SCHEDULERS

init_default_scope('refseg')

SCHEDULE = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'schedules', 'cris_50e.py'
)


class ToyCRIS(nn.Module):
    """The parameter names that matter for CRIS's grouping."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.conv1 = nn.Conv2d(3, 4, 3)
        self.backbone.attnpool = nn.Module()
        self.backbone.attnpool.positional_embedding = nn.Parameter(torch.zeros(5, 4))
        self.backbone.attnpool.connect = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4))
        self.text_encoder = nn.Module()
        self.text_encoder.positional_embedding = nn.Parameter(torch.zeros(7, 4))
        self.text_encoder.token_embedding = nn.Embedding(10, 4)
        self.neck = nn.Linear(4, 4)
        self.decode_head = nn.Linear(4, 4)


def build_optimizer(model):
    cfg = Config.fromfile(SCHEDULE)
    # AmpOptimWrapper needs CUDA; the grouping is the wrapper-independent part.
    optim_cfg = dict(type='OptimWrapper', optimizer=cfg.optimizer, paramwise_cfg=cfg.paramwise_cfg)
    return build_optim_wrapper(model, optim_cfg), cfg


def lr_of(optim_wrapper, param):
    for group in optim_wrapper.optimizer.param_groups:
        if any(p is param for p in group['params']):
            return group['lr']
    raise AssertionError('parameter not in the optimizer')


def test_official_parameter_grouping():
    model = ToyCRIS()
    optim_wrapper, _ = build_optimizer(model)
    assert lr_of(optim_wrapper, model.backbone.conv1.weight) == pytest.approx(1e-5)
    assert lr_of(optim_wrapper, model.backbone.attnpool.connect[0].weight) == pytest.approx(1e-5)
    assert lr_of(optim_wrapper, model.text_encoder.token_embedding.weight) == pytest.approx(1e-5)
    for param in (
        model.backbone.attnpool.positional_embedding,
        model.text_encoder.positional_embedding,
        model.neck.weight,
        model.decode_head.bias,
    ):
        assert lr_of(optim_wrapper, param) == pytest.approx(1e-4)
    assert all(group['weight_decay'] == 0 for group in optim_wrapper.optimizer.param_groups)


def lr_per_epoch(legacy: bool, epochs: int = 38):
    """(backbone lr, head lr) used in each epoch, stepping the schedulers as
    mmengine's ParamSchedulerHook does after every epoch."""
    model = ToyCRIS()
    optim_wrapper, cfg = build_optimizer(model)
    scheduler_cfgs = ([dict(type='CRISLegacyWarmupLR')] if legacy else []) + cfg.param_scheduler
    schedulers = [
        PARAM_SCHEDULERS.build(dict(scheduler, optimizer=optim_wrapper))
        for scheduler in scheduler_cfgs
    ]
    history = []
    for _ in range(epochs):
        history.append(
            (
                lr_of(optim_wrapper, model.backbone.conv1.weight),
                lr_of(optim_wrapper, model.neck.weight),
            )
        )
        optim_wrapper.step()
        for scheduler in schedulers:
            scheduler.step()
    return history


def test_default_schedule_has_no_legacy_epoch():
    history = lr_per_epoch(legacy=False)
    assert history[0] == pytest.approx((1e-5, 1e-4))
    assert history[34] == pytest.approx((1e-5, 1e-4))
    assert history[35] == pytest.approx((1e-6, 1e-5))


def test_legacy_warmup_runs_epoch_one_at_full_lr():
    history = lr_per_epoch(legacy=True)
    assert history[0] == pytest.approx((1e-4, 1e-4))
    assert history[1] == pytest.approx((1e-5, 1e-4))
    assert history[34] == pytest.approx((1e-5, 1e-4))
    assert history[35] == pytest.approx((1e-6, 1e-5))


def test_legacy_warmup_keeps_a_decay_applied_during_epoch_one():
    model = ToyCRIS()
    optim_wrapper, _ = build_optimizer(model)
    schedulers = [
        PARAM_SCHEDULERS.build(dict(type='CRISLegacyWarmupLR', optimizer=optim_wrapper)),
        PARAM_SCHEDULERS.build(
            dict(type='MultiStepLR', milestones=[1], gamma=0.5, optimizer=optim_wrapper)
        ),
    ]
    optim_wrapper.step()
    for scheduler in schedulers:
        scheduler.step()
    assert lr_of(optim_wrapper, model.backbone.conv1.weight) == pytest.approx(0.5e-5)
    assert lr_of(optim_wrapper, model.neck.weight) == pytest.approx(0.5e-4)


def test_legacy_warmup_is_per_epoch_only():
    optim_wrapper, _ = build_optimizer(ToyCRIS())
    with pytest.raises(ValueError, match='by_epoch'):
        PARAM_SCHEDULERS.build(
            dict(type='CRISLegacyWarmupLR', by_epoch=False, optimizer=optim_wrapper)
        )
