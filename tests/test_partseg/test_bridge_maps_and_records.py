"""Baseline A's class maps in the Mask R-CNN bridge, and what the part metrics record."""

import os.path as osp

import pytest
import torch
from pycocotools import mask as mask_utils

from refseg.datasets.partimagenet import load_part_annotations
from refseg.evaluation.metrics.maskrcnn_bridge import PartMaskRCNNMetric
from refseg.evaluation.metrics.part_metric import PartRefSegMetric
from refseg.structures.coco_mask import decode_mask_ann
from refseg.synthetic.partimagenet import generate_partimagenet


@pytest.fixture(scope='module')
def val_file(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('pin'))
    # 11 images: one per superclass, so every superclass appears once.
    generate_partimagenet(root, num_images=dict(val=11), image_size=(48, 64))
    return osp.join(root, 'annotations', 'val', 'val.json')


def part_masks(parts, image_id):
    """category id -> GT union mask of the image's samples."""
    image = parts['images'][image_id]
    return {
        s['category_id']: torch.from_numpy(
            decode_mask_ann(s['segmentation'], image['height'], image['width'])
        ).bool()
        for s in parts['samples']
        if s['image_id'] == image_id
    }


def prediction(image, masks, labels):
    return dict(
        img_id=image['id'],
        img_path=image['file_name'],
        ori_shape=(image['height'], image['width']),
        pred_instances=dict(
            masks=torch.stack(masks),
            labels=torch.tensor(labels),
            scores=torch.full((len(labels),), 0.9),
        ),
    )


def test_object_map_answers_parts_with_the_object_and_reports_unsupported(val_file):
    parts = load_part_annotations(val_file)
    # An object detector knowing two classes: 'dog' (Quadruped) and 'aeroplane'.
    metric = PartMaskRCNNMetric(
        ann_file=val_file, object_class_map=dict(dog='Quadruped', plane='Aeroplane')
    )
    metric.dataset_meta = dict(classes=('person', 'dog', 'plane'))
    expected, samples, unsupported = {}, [], 0
    for image_id, image in parts['images'].items():
        gts = part_masks(parts, image_id)
        if not gts:
            continue
        superclass = parts['categories'][next(iter(gts))]['supercategory']
        whole = torch.stack(list(gts.values())).any(0)
        label = dict(Quadruped=1, Aeroplane=2).get(superclass, 0)
        samples.append(prediction(image, [whole], [label]))
        if label == 0:
            unsupported += len(gts)
            continue
        for cat_id, gt in gts.items():
            expected[(image_id, cat_id)] = (gt & whole).sum().item() / (gt | whole).sum()
    metric.process({}, samples)
    metrics = metric.evaluate(len(samples))
    assert metrics['num_unsupported'] == unsupported > 0
    assert metrics['num_samples'] == len(expected)
    mean = sum(float(v) for v in expected.values()) / len(expected)
    # Every part is answered with the whole object: IoU = part area / object area.
    assert metrics['mIoU'] == pytest.approx(100 * mean)
    assert 0 < metrics['mIoU'] < 100


def test_part_map_merges_several_detector_classes(val_file):
    parts = load_part_annotations(val_file)
    image_id = next(iter(parts['images']))
    image = parts['images'][image_id]
    gts = part_masks(parts, image_id)
    cat_id, gt = max(gts.items(), key=lambda item: item[1].sum())
    name = parts['categories'][cat_id]['name']
    # The part split in two halves, predicted as two classes mapped to the same part.
    rows = gt.any(1).nonzero()[:, 0]
    middle = int(rows.float().mean())
    top, bottom = gt.clone(), gt.clone()
    top[middle:], bottom[:middle] = False, False
    metric = PartMaskRCNNMetric(
        ann_file=val_file, part_class_map={'x:upper': name, 'x:lower': name}
    )
    metric.dataset_meta = dict(classes=('x:upper', 'x:lower', 'x:other'))
    metric.process({}, [prediction(image, [top, bottom], [0, 1])])
    records = metric.results[0]['records']
    assert [r['iou'] for r in records if r['category_id'] == cat_id] == [1.0]
    assert metric.results[0]['unsupported'] == sorted(set(gts) - {cat_id})

    with pytest.raises(ValueError, match='do not name part categories'):
        PartMaskRCNNMetric(ann_file=val_file, part_class_map={'x:upper': 'Dog Nose'})
    with pytest.raises(ValueError, match='not both'):
        PartMaskRCNNMetric(
            ann_file=val_file, part_class_map={'a': name}, object_class_map={'b': 'Bird'}
        )


def test_saved_masks_and_per_class_keys():
    gt = torch.zeros(1, 4, 5, dtype=torch.uint8)
    gt[0, 1:3, 1:4] = 1
    pred = torch.zeros_like(gt)
    pred[0, 1:3, 2:5] = 1
    metric = PartRefSegMetric(save_masks=True)
    metric.process(
        {},
        [
            dict(
                gt_sem_seg=dict(data=gt),
                pred_sem_seg=dict(data=pred),
                category_id=25,
                ref_id=0,
                sent_id=0,
                image_id=3,
                text='the tire of the cab',
                img_path='a.jpg',
            )
        ],
    )
    record = metric.results[0]
    decoded = mask_utils.decode(
        dict(size=record['pred_rle']['size'], counts=record['pred_rle']['counts'].encode())
    )
    assert (decoded == pred[0].numpy()).all()
    assert record['img_path'] == 'a.jpg'
    metrics = metric.evaluate(1)
    assert metrics['IoU_class/Car Tier'] == pytest.approx(100 * 4 / 8)
    assert 'pred_rle' not in PartRefSegMetric().sample_record(dict(category_id=0), 1, 2)
