"""PartRefSegMetric: RIS numbers plus per-part-class and per-superclass IoU."""

import pytest
import torch

from refseg.evaluation.metrics.part_metric import PartRefSegMetric
from refseg.evaluation.metrics.ref_seg_metric import RefSegMetric
from refseg.registry import METRICS


def mask(columns, width=10):
    """A (1, 1, width) mask, one row of pixels, with ones at ``columns``."""
    data = torch.zeros(1, 1, width, dtype=torch.uint8)
    data[0, 0, list(columns)] = 1
    return data


def sample(category_id, gt, pred, ref_id=0):
    return dict(
        gt_sem_seg=dict(data=gt),
        pred_sem_seg=dict(data=pred),
        category_id=category_id,
        ref_id=ref_id,
        sent_id=ref_id,
        image_id=ref_id,
        text=f'part {category_id}',
        img_path=f'{ref_id}.jpg',
    )


# (category, gt pixels, predicted pixels): I and U per sample in the comments.
SAMPLES = [
    (0, range(0, 4), range(0, 2)),  # Quadruped Head: I 2, U 4
    (0, range(0, 8), range(0, 8)),  # Quadruped Head: I 8, U 8
    (3, range(0, 5), range(5, 10)),  # Quadruped Tail: I 0, U 10
    (25, range(0, 2), range(0, 4)),  # Car Tier: I 2, U 4
]


def evaluate(metric, samples=SAMPLES):
    metric.process(
        {}, [sample(c, mask(g), mask(p), ref_id=i) for i, (c, g, p) in enumerate(samples)]
    )
    return metric.evaluate(len(samples))


def test_per_class_cumulative_iou_and_means():
    metrics = evaluate(PartRefSegMetric())
    # Per class, pooled pixels: head (2 + 8) / (4 + 8), tail 0 / 10, tire 2 / 4.
    head, tail, tire = 100 * 10 / 12, 0.0, 50.0
    assert metrics['mIoU_part'] == pytest.approx((head + tail + tire) / 3)
    assert metrics['mIoU_part/Quadruped'] == pytest.approx((head + tail) / 2)
    assert metrics['mIoU_part/Car'] == pytest.approx(tire)
    # Only superclasses with samples are reported.
    assert not any(key.startswith('mIoU_part/Bird') for key in metrics)
    # The overall RIS numbers are RefSegMetric's.
    plain = evaluate(RefSegMetric())
    for key, value in plain.items():
        assert metrics[key] == pytest.approx(value)
    assert metrics['mIoU'] == pytest.approx(100 * (0.5 + 1 + 0 + 0.5) / 4)
    assert metrics['oIoU'] == pytest.approx(100 * 12 / 26)


def test_class_stats_table():
    metric = PartRefSegMetric()
    evaluate(metric)
    records = [
        dict(category_id=c, iou=i, intersection=n, union=u)
        for c, i, n, u in ((0, 0.5, 2, 4), (0, 1.0, 8, 8), (3, 0.0, 0, 10))
    ]
    stats = metric.part_class_stats(records)
    assert [(s['category_id'], s['name'], s['superclass'], s['num_samples']) for s in stats] == [
        (0, 'Quadruped Head', 'Quadruped', 2),
        (3, 'Quadruped Tail', 'Quadruped', 1),
    ]
    # Cumulative IoU differs from the mean of per-sample IoUs.
    assert stats[0]['IoU'] == pytest.approx(100 * 10 / 12)
    assert stats[0]['mIoU'] == pytest.approx(75.0)


def test_names_come_from_the_dataset_when_given():
    metric = PartRefSegMetric()
    metric.dataset_meta = dict(
        part_category_ids=(0, 3, 25),
        part_classes=('A head', 'A tail', 'B wheel'),
        part_superclasses=('A', 'A', 'B'),
    )
    metrics = evaluate(metric)
    assert set(k for k in metrics if k.startswith('mIoU_part/')) == {'mIoU_part/A', 'mIoU_part/B'}
    metric = PartRefSegMetric()
    metric.dataset_meta = dict(
        part_category_ids=(0, 3), part_classes=('a', 'b'), part_superclasses=('A', 'A')
    )
    with pytest.raises(KeyError, match=r'category ids \[25\]'):
        evaluate(metric)


def test_category_id_is_required():
    metric = PartRefSegMetric()
    data = sample(0, mask(range(3)), mask(range(3)))
    del data['category_id']
    with pytest.raises(KeyError, match='PackRefSegInputs'):
        metric.process({}, [data])


def test_registered_with_ref_seg_options():
    metric = METRICS.build(dict(type='PartRefSegMetric', prec_rule='inclusive', threshold=0.35))
    assert isinstance(metric, PartRefSegMetric) and metric.prec_rule == 'inclusive'
    logits = torch.full((1, 1, 10), -5.0)
    logits[0, 0, :4] = 5.0
    data = sample(0, mask(range(4)), mask(range(10)))
    data['seg_logits'] = dict(data=logits)
    metric.process({}, [data])
    # The threshold re-binarises the logits: a perfect mask despite pred_sem_seg.
    assert metric.evaluate(1)['mIoU_part'] == pytest.approx(100.0)
