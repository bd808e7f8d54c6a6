"""RefSegMetric(gres=True) on hand-computed gRefCOCO cases."""

import math

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.evaluation import RefSegMetric


def sample(intersection, pred_only, gt_only, num_targets=None, score=None, sent_id=0):
    """A ``SegDataSample.to_dict()`` with masks overlapping on ``intersection`` pixels,
    ``pred_only`` more predicted and ``gt_only`` more in the ground truth (4 x 8 image)."""
    gt = torch.zeros(32, dtype=torch.uint8)
    pred = torch.zeros_like(gt)
    pred[: intersection + pred_only] = 1
    gt[:intersection] = 1
    gt[intersection + pred_only : intersection + pred_only + gt_only] = 1
    metainfo = dict(
        img_path='img.jpg', text='all the stars', ref_id=sent_id, sent_id=sent_id, image_id=1
    )
    if num_targets is not None:
        metainfo.update(num_targets=num_targets, no_target=num_targets == 0)
    data_sample = SegDataSample(metainfo=metainfo)
    data_sample.gt_sem_seg = PixelData(data=gt.view(1, 4, 8))
    data_sample.pred_sem_seg = PixelData(data=pred.view(1, 4, 8))
    if score is not None:
        data_sample.set_field(score, 'no_target_score')
    return data_sample.to_dict()


# (intersection, pred_only, gt_only, num_targets) -> I, U, IoU, kind
CASES = [
    (2, 2, 2, 1),  # single target, partly found: I 2, U 6, IoU 1/3
    (6, 0, 0, 2),  # two targets, exactly found: I 6, U 6, IoU 1
    (0, 0, 0, 0),  # no target, predicted empty (TP): I 0, U 0, IoU 1
    (0, 3, 0, 0),  # no target, 3 pixels predicted (FN): I 0, U 3, IoU 0
    (0, 0, 4, 1),  # single target, predicted empty (FP): I 0, U 4, IoU 0
]


def scored(metric, cases=CASES):
    metric.process(None, [sample(*case, sent_id=i) for i, case in enumerate(cases)])
    return metric.compute_metrics(metric.results)


def test_gres_values_match_hand_computation():
    metrics = scored(
        RefSegMetric(gres=True, prec_rule='inclusive', prec_thresholds=(0.3, 0.7, 0.9))
    )
    assert metrics['gIoU'] == pytest.approx(100 * (1 / 3 + 1 + 1 + 0 + 0) / 5)
    assert metrics['cIoU'] == pytest.approx(100 * 8 / 19)
    assert metrics['N-acc'] == pytest.approx(50.0)  # 1 of 2 no-target samples empty
    assert metrics['T-acc'] == pytest.approx(100 * 2 / 3)  # 2 of 3 targets non-empty
    # Prec@X over the three samples with a target: IoUs 1/3, 1, 0.
    assert metrics['Prec@30'] == pytest.approx(100 * 2 / 3)
    assert metrics['Prec@70'] == pytest.approx(100 / 3)
    assert metrics['Prec@90'] == pytest.approx(100 / 3)
    assert metrics['num_samples'] == 5
    assert metrics['single/gIoU'] == pytest.approx(100 * (1 / 3 + 0) / 2)
    assert metrics['single/cIoU'] == pytest.approx(100 * 2 / 10)
    assert metrics['single/num_samples'] == 2
    assert metrics['multi/gIoU'] == metrics['multi/cIoU'] == pytest.approx(100.0)
    assert metrics['none/gIoU'] == pytest.approx(50.0)
    assert metrics['none/num_samples'] == 2 and 'none/cIoU' not in metrics
    assert 'mIoU' not in metrics and 'target/num_samples' not in metrics


def test_rela_code_accuracies_and_ciou_follow_the_released_evaluator():
    metrics = scored(RefSegMetric(gres=True, nt_acc='rela_code'))
    # TP = 1, FN = 1, FP = 1: N_acc = TP / (TP + FN + 1), T_acc = TP / (TP + FP + 1).
    assert metrics['N-acc'] == pytest.approx(100 / 3)
    assert metrics['T-acc'] == pytest.approx(100 / 3)
    assert metrics['cIoU'] == pytest.approx(100 * 8 / 19)
    targets_only = scored(RefSegMetric(gres=True, nt_acc='rela_code'), [c for c in CASES if c[3]])
    assert targets_only['N-acc'] == targets_only['T-acc'] == 0.0


def test_kinds_without_num_targets_and_empty_classes():
    # Without num_targets the kind comes from the ground truth alone.
    cases = [(2, 2, 2, None), (0, 0, 0, None)]
    metrics = scored(RefSegMetric(gres=True), cases)
    assert metrics['target/num_samples'] == 1 and metrics['none/num_samples'] == 1
    assert metrics['gIoU'] == pytest.approx(100 * (1 / 3 + 1) / 2)
    only_targets = scored(RefSegMetric(gres=True), [(2, 2, 2, 1)])
    assert 'N-acc' not in only_targets and only_targets['T-acc'] == 100.0
    only_empty = scored(RefSegMetric(gres=True), [(0, 1, 0, 0), (0, 0, 0, 0)])
    assert only_empty['N-acc'] == 50.0 and 'T-acc' not in only_empty
    assert only_empty['Prec@50'] == 0.0 and only_empty['cIoU'] == 0.0


def test_records_carry_kind_emptiness_and_score(tmp_path):
    path = str(tmp_path / 'records.json')
    metric = RefSegMetric(gres=True, output_file=path)
    metric.process(None, [sample(0, 0, 0, 0, score=0.75), sample(2, 2, 2, 1)])
    first, second = metric.results
    assert (first['kind'], first['gt_empty'], first['pred_empty']) == ('none', True, True)
    assert first['no_target_score'] == 0.75 and first['iou'] == 1.0
    assert (second['kind'], second['pred_empty'], second['no_target_score']) == (
        'single',
        False,
        None,
    )
    assert math.isclose(second['iou'], 1 / 3)
    metric.compute_metrics(metric.results)
    assert (tmp_path / 'records.json').exists()


def test_gres_needs_the_one_rule_and_a_known_accuracy_rule():
    with pytest.raises(ValueError, match="empty_target must be 'one'"):
        RefSegMetric(gres=True, empty_target='zero')
    with pytest.raises(ValueError, match='nt_acc must be one of'):
        RefSegMetric(gres=True, nt_acc='relaxed')
    assert RefSegMetric().empty_target == 'zero'
    assert RefSegMetric(gres=True).empty_target == 'one'
