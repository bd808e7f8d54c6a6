"""RefSegMetric on hand-computed cases (one process)."""

import json
import math
from typing import Optional

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.evaluation import RefSegMetric
from refseg.evaluation.metrics import ref_seg_metric
from refseg.registry import METRICS

PREC_KEYS = ['Prec@50', 'Prec@60', 'Prec@70', 'Prec@80', 'Prec@90']


def make_sample(
    gt, pred=None, logits=None, sent_id: int = 0, text: str = 'the dog on the left'
) -> dict:
    """A ``SegDataSample.to_dict()`` as the evaluator hands it to metrics."""
    sample = SegDataSample(
        metainfo=dict(
            img_path=f'img_{sent_id}.jpg',
            text=text,
            ref_id=100 + sent_id,
            sent_id=sent_id,
            ann_id=1000 + sent_id,
            image_id=10 + sent_id,
        )
    )
    sample.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None])
    if pred is not None:
        sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred, dtype=torch.uint8)[None])
    if logits is not None:
        sample.seg_logits = PixelData(data=torch.as_tensor(logits, dtype=torch.float32)[None])
    return sample.to_dict()


def overlap_sample(
    intersection: int, pred_only: int, gt_only: int, sent_id: int = 0, shape=(4, 8)
) -> dict:
    """A sample whose masks overlap on exactly ``intersection`` pixels.

    The first ``intersection`` pixels are in both masks, the next
    ``pred_only`` in the prediction only, the next ``gt_only`` in the ground
    truth only; IoU = intersection / (intersection + pred_only + gt_only).
    """
    gt = torch.zeros(math.prod(shape), dtype=torch.uint8)
    pred = torch.zeros_like(gt)
    both_end = intersection
    pred_end = both_end + pred_only
    gt_end = pred_end + gt_only
    assert gt_end <= gt.numel()
    pred[:pred_end] = 1
    gt[:both_end] = 1
    gt[pred_end:gt_end] = 1
    return make_sample(gt.view(shape), pred.view(shape), sent_id=sent_id)


def evaluate(metric: RefSegMetric, samples: list) -> dict:
    metric.process({}, samples)
    return metric.evaluate(len(samples))


@pytest.fixture
def threshold_samples() -> list:
    """IoUs exactly 0.5, 0.8 and 0.9, and 0.25; built from integer counts.

    I / U: 4 / 8, 8 / 10, 9 / 10, 1 / 4, so mIoU = 61.25 and
    oIoU = 22 / 32 = 68.75.
    """
    return [
        overlap_sample(4, 2, 2, sent_id=0),
        overlap_sample(8, 1, 1, sent_id=1),
        overlap_sample(9, 0, 1, sent_id=2),
        overlap_sample(1, 3, 0, sent_id=3),
    ]


def test_strict_rule_excludes_iou_equal_to_threshold(threshold_samples):
    metrics = evaluate(RefSegMetric(prec_rule='strict'), threshold_samples)
    assert metrics['mIoU'] == pytest.approx(61.25)
    assert metrics['oIoU'] == pytest.approx(68.75)
    # IoU 0.5 does not pass Prec@50, 0.8 not Prec@80, 0.9 not Prec@90.
    precisions = [metrics[key] for key in PREC_KEYS]
    assert precisions == pytest.approx([50.0, 50.0, 50.0, 25.0, 0.0])
    assert metrics['num_samples'] == 4


def test_inclusive_rule_counts_iou_equal_to_threshold(threshold_samples):
    metrics = evaluate(RefSegMetric(prec_rule='inclusive'), threshold_samples)
    assert metrics['mIoU'] == pytest.approx(61.25)
    assert metrics['oIoU'] == pytest.approx(68.75)
    precisions = [metrics[key] for key in PREC_KEYS]
    assert precisions == pytest.approx([75.0, 50.0, 50.0, 50.0, 25.0])


def test_custom_prec_thresholds_name_their_keys(threshold_samples):
    metrics = evaluate(RefSegMetric(prec_thresholds=(0.25, 0.75)), threshold_samples)
    assert metrics['Prec@25'] == pytest.approx(75.0)
    assert metrics['Prec@75'] == pytest.approx(50.0)
    assert 'Prec@50' not in metrics


def test_miou_and_oiou_weigh_samples_differently():
    # A small perfect mask and a large missed one: per-sample mean 50 %,
    # pooled pixels 4 / 28.
    samples = [overlap_sample(4, 0, 0), overlap_sample(0, 0, 24)]
    metrics = evaluate(RefSegMetric(), samples)
    assert metrics['mIoU'] == pytest.approx(50.0)
    assert metrics['oIoU'] == pytest.approx(100 * 4 / 28)


@pytest.mark.parametrize('threshold, expected_iou', [(None, 0.0), (0.35, 2 / 3), (0.5, 0.5)])
def test_threshold_rebinarises_logits(threshold: Optional[float], expected_iou: float):
    gt = [[1, 1, 0, 0]]
    # sigmoid: 0.88, 0.5 exactly, 0.38, 0.27. pred_sem_seg disagrees on
    # purpose, to show which input is scored.
    logits = [[2.0, 0.0, -0.5, -1.0]]
    pred = [[0, 0, 0, 1]]
    metrics = evaluate(
        RefSegMetric(threshold=threshold), [make_sample(gt, pred=pred, logits=logits)]
    )
    # None scores pred (I 0, U 3); 0.35 keeps 3 pixels (I 2, U 3); 0.5 is
    # strict, so sigmoid(0) = 0.5 drops out (I 1, U 2).
    assert metrics['mIoU'] == pytest.approx(100 * expected_iou)


@pytest.mark.parametrize(
    'empty_target, expected_miou, all_empty_oiou',
    [('zero', 100 * 0.5 / 3, 0.0), ('one', 100 * 1.5 / 3, 100.0)],
)
def test_empty_target_conventions(empty_target: str, expected_miou: float, all_empty_oiou: float):
    empty = [[0, 0, 0, 0]]
    samples = [
        make_sample(empty, pred=empty, sent_id=0),  # U = 0
        make_sample(empty, pred=[[1, 1, 0, 0]], sent_id=1),  # I 0, U 2
        make_sample([[1, 1, 0, 0]], pred=[[1, 0, 0, 0]], sent_id=2),  # 1/2
    ]
    metrics = evaluate(RefSegMetric(empty_target=empty_target), samples)
    assert metrics['mIoU'] == pytest.approx(expected_miou)
    # The empty-vs-empty sample adds nothing to the pooled counts.
    assert metrics['oIoU'] == pytest.approx(25.0)
    only_empty = evaluate(RefSegMetric(empty_target=empty_target), [make_sample(empty, pred=empty)])
    assert only_empty['mIoU'] == pytest.approx(all_empty_oiou)
    assert only_empty['oIoU'] == pytest.approx(all_empty_oiou)


def test_soft_and_ignored_ground_truth():
    # Soft targets count as referent above 0.5; 255 pixels are ignored even
    # where the prediction covers them.
    gt = torch.tensor([[0.7, 0.5, 0.2, 255.0, 1.0, 0.0]])
    pred = [[1, 1, 1, 1, 0, 0]]
    metrics = evaluate(RefSegMetric(), [make_sample(gt, pred=pred)])
    # Referent pixels 0 and 4; prediction 0, 1, 2: I 1, U 4.
    assert metrics['mIoU'] == pytest.approx(25.0)
    ignored_uint8 = torch.tensor([[1, 255, 255, 0]], dtype=torch.uint8)
    metrics = evaluate(RefSegMetric(), [make_sample(ignored_uint8, pred=[[1, 1, 1, 0]])])
    assert metrics['mIoU'] == pytest.approx(100.0)


def test_results_hold_only_small_python_values(threshold_samples):
    metric = RefSegMetric()
    metric.process({}, threshold_samples[:1])
    assert metric.results == [
        dict(
            ref_id=100,
            sent_id=0,
            image_id=10,
            text='the dog on the left',
            iou=0.5,
            intersection=4,
            union=8,
        )
    ]


def test_output_file_records(tmp_path, threshold_samples):
    output_file = tmp_path / 'eval' / 'per_sentence.json'
    evaluate(RefSegMetric(output_file=str(output_file)), threshold_samples)
    records = json.loads(output_file.read_text())
    assert len(records) == 4
    assert records[1] == dict(
        ref_id=101,
        sent_id=1,
        image_id=11,
        text='the dog on the left',
        iou=0.8,
        intersection=8,
        union=10,
    )
    assert [r['iou'] for r in records] == [0.5, 0.8, 0.9, 0.25]


def test_builds_from_config_in_evaluator_with_prefix():
    with DefaultScope.overwrite_default_scope('refseg'):
        evaluator = Evaluator(dict(type='RefSegMetric', prefix='val'))
    assert isinstance(evaluator.metrics[0], RefSegMetric)
    assert METRICS.get('RefSegMetric') is RefSegMetric
    sample = SegDataSample(metainfo=dict(text='cat', sent_id=0))
    sample.gt_sem_seg = PixelData(data=torch.tensor([[[1, 0]]]))
    sample.pred_sem_seg = PixelData(data=torch.tensor([[[1, 1]]]))
    # The evaluator turns data samples into dicts before the metric.
    evaluator.process([sample], {})
    metrics = evaluator.evaluate(1)
    assert metrics['val/mIoU'] == pytest.approx(50.0)
    assert metrics['val/num_samples'] == 1


def test_default_keys_are_bare(threshold_samples):
    metrics = evaluate(RefSegMetric(), threshold_samples)
    assert list(metrics) == ['mIoU', 'oIoU'] + PREC_KEYS + ['num_samples']


def test_log_states_protocol(monkeypatch, threshold_samples):
    messages = []
    monkeypatch.setattr(ref_seg_metric, 'print_log', lambda msg, **kwargs: messages.append(msg))
    evaluate(
        RefSegMetric(threshold=0.35, prec_rule='inclusive'),
        [
            make_sample([[1, 0]], logits=[[1.0, -1.0]]),
        ],
    )
    summary = messages[0]
    assert 'sigmoid(seg_logits) > 0.35' in summary
    assert 'IoU >= X (inclusive)' in summary
    assert 'Prec@90' in summary and '100.00' in summary


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(threshold=1.5), 'threshold'),
        (dict(threshold=0), 'threshold'),
        (dict(prec_thresholds=()), 'prec_thresholds'),
        (dict(prec_thresholds=(0.5, 1.5)), 'prec_thresholds'),
        (dict(prec_thresholds=(0.5, 0.5)), 'prec_thresholds'),
        (dict(prec_rule='loose'), 'prec_rule'),
        (dict(empty_target='nan'), 'empty_target'),
        (dict(output_file='records.txt'), 'output_file'),
    ],
)
def test_rejects_bad_arguments(kwargs: dict, message: str):
    with pytest.raises(ValueError, match=message):
        RefSegMetric(**kwargs)


@pytest.mark.parametrize(
    'gt, pred, error, message',
    [
        (
            [[1, 0, 0]],
            [[1, 0]],
            ValueError,
            r'prediction of shape \(1, 2\) but a ground truth of shape \(1, 3\)',
        ),
        ([[1, 2]], [[1, 0]], ValueError, 'gt_sem_seg value 2'),
        ([[1, 0]], [[1, 3]], ValueError, r'pred_sem_seg values \[1, 3\]'),
        ([[1, 0]], None, KeyError, "has no 'pred_sem_seg'"),
    ],
)
def test_rejects_bad_samples(gt: list, pred: Optional[list], error: type, message: str):
    with pytest.raises(error, match=message):
        RefSegMetric().process({}, [make_sample(gt, pred=pred)])


def test_threshold_needs_logits():
    with pytest.raises(KeyError, match="has no 'seg_logits'"):
        RefSegMetric(threshold=0.35).process({}, [make_sample([[1, 0]], pred=[[1, 0]])])


def test_rejects_masks_without_channel_dim():
    sample = make_sample([[1, 0]], pred=[[1, 0]])
    sample['pred_sem_seg']['data'] = sample['pred_sem_seg']['data'][0]
    with pytest.raises(ValueError, match=r'expected \(1, h, w\)'):
        RefSegMetric().process({}, [sample])


def test_no_samples_is_an_error():
    with pytest.raises(ValueError, match='no expression'):
        RefSegMetric().compute_metrics([])


def test_subclass_extends_records_and_summary(threshold_samples):

    class AnnotatedMetric(RefSegMetric):
        record_meta_keys = RefSegMetric.record_meta_keys + ('ann_id',)

        def summarize(self, results):
            metrics = super().summarize(results)
            metrics['max_ann_id'] = max(r['ann_id'] for r in results)
            return metrics

    metric = AnnotatedMetric()
    metric.process({}, threshold_samples)
    assert metric.results[2]['ann_id'] == 1002
    metrics = metric.evaluate(len(threshold_samples))
    assert metrics['max_ann_id'] == 1003
    assert metrics['mIoU'] == pytest.approx(61.25)
