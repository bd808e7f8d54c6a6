"""The partseg configs: data_root reaches every evaluator, the study's configs agree."""

import os.path as osp

import pytest
from mmengine.config import Config

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', 'partseg'
)


def evaluators(cfg):
    for key in ('val_evaluator', 'test_evaluator'):
        value = cfg.get(key)
        if value:
            yield from ([value] if isinstance(value, dict) else value)


@pytest.mark.parametrize(
    'name',
    [
        'maskrcnn_r50_fpn_partimagenet.py',
        'maskrcnn_r50_fpn_partimagenet_416.py',
        'maskrcnn_r50_fpn_coco-pretrained_partimagenet.py',
    ],
)
def test_maskrcnn_evaluators_follow_the_data_root(name, monkeypatch):
    monkeypatch.setenv('PARTIMAGENET_ROOT', '/elsewhere/pin/')
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    metrics = list(evaluators(cfg))
    assert metrics and all(m['ann_file'].startswith('/elsewhere/pin/annotations/') for m in metrics)
    assert cfg.test_dataloader.dataset.data_root == '/elsewhere/pin/'
    # COCO AP reads the sanitised copy, the referring bridge the original file.
    for metric in metrics:
        split = osp.basename(osp.dirname(metric['ann_file']))
        suffix = '_mmdet' if metric['type'] == 'mmdet.CocoMetric' else ''
        assert osp.basename(metric['ann_file']) == f'{split}{suffix}.json'


def test_baseline_a_maps_coco_classes_to_superclasses():
    cfg = Config.fromfile(osp.join(CONFIGS, 'maskrcnn_r50_fpn_coco-pretrained_partimagenet.py'))
    (metric,) = cfg.test_evaluator
    assert metric['object_class_map']['zebra'] == 'Quadruped'
    assert set(metric['object_class_map'].values()) == {
        'Quadruped',
        'Bird',
        'Car',
        'Bicycle',
        'Boat',
        'Aeroplane',
        'Bottle',
    }
    assert cfg.model.roi_head.bbox_head.num_classes == 80
    assert cfg.test_dataloader.dataset.metainfo is None


def test_same_checkpoint_selection_for_cris_and_maskrcnn():
    picks = []
    for name in (
        'cris_r50_partimagenet.py',
        'maskrcnn_r50_fpn_partimagenet.py',
        'cris_tiny_partimagenet-synthetic.py',
        'maskrcnn_tiny_partimagenet-synthetic.py',
    ):
        hook = Config.fromfile(osp.join(CONFIGS, name)).default_hooks.checkpoint
        picks.append((hook.save_best, hook.get('rule')))
    assert set(picks) == {('mIoU_part', 'greater')}
