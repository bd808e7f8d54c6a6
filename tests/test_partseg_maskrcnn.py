"""The Mask R-CNN part baseline: the bridge to the referring part metric, and a tiny
Mask R-CNN trained and evaluated through the config (needs the optional mmdet)."""

import os.path as osp

import pytest
import torch
from mmengine.fileio import load
from pycocotools import mask as mask_utils

from refseg.datasets.partimagenet import PARTIMAGENET_CATEGORIES, load_part_annotations
from refseg.evaluation.metrics.maskrcnn_bridge import PartMaskRCNNMetric, instances_to_part_mask
from refseg.synthetic.partimagenet import generate_partimagenet

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'partseg', 'maskrcnn_r50_fpn_partimagenet.py')
CLASSES = tuple(name for _, name, _ in PARTIMAGENET_CATEGORIES)


@pytest.fixture(scope='module')
def part_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('partimagenet_det'))
    generate_partimagenet(root, num_images=dict(train=4, val=2), image_size=(64, 96))
    return root


def test_instances_to_part_mask():
    masks = torch.zeros(4, 2, 4, dtype=torch.bool)
    for i in range(4):
        masks[i, :, i] = True
    labels = torch.tensor([3, 3, 0, 3])
    scores = torch.tensor([0.9, 0.6, 0.95, 0.2])
    merged = instances_to_part_mask(masks, labels, scores, 3, 0.5, top1_fallback=True)
    assert merged[0].tolist() == [True, True, False, False]
    # Nothing of class 3 passes 0.95: the best instance of the class (score 0.9) is used,
    # never an instance of another class.
    fallback = instances_to_part_mask(masks, labels, scores, 3, 0.95, top1_fallback=True)
    assert fallback[0].tolist() == [True, False, False, False]
    empty = instances_to_part_mask(masks, labels, scores, 3, 0.95, top1_fallback=False)
    assert not empty.any()
    assert not instances_to_part_mask(masks, labels, scores, 7, 0.0, True).any()


def gt_instances(ann_file, image):
    """Perfect instance predictions: one per annotation of the image with pixels."""
    coco = load(ann_file)
    h, w = image['height'], image['width']
    masks, labels = [], []
    for ann in coco['annotations']:
        valid = [p for p in ann['segmentation'] if len(p) >= 6 and len(p) % 2 == 0]
        if ann['image_id'] != image['id'] or not valid or ann['area'] == 0:
            continue
        rle = mask_utils.merge(mask_utils.frPyObjects(valid, h, w))
        if mask_utils.area(rle):
            masks.append(torch.from_numpy(mask_utils.decode(rle) > 0))
            labels.append(ann['category_id'])
    return torch.stack(masks), torch.tensor(labels)


def det_sample(image, masks, labels, scores):
    return dict(
        img_id=image['id'],
        img_path=image['file_name'],
        ori_shape=(image['height'], image['width']),
        pred_instances=dict(masks=masks, labels=labels, scores=scores),
    )


def test_bridge_scores_instances_as_referring_samples(part_root):
    ann_file = osp.join(part_root, 'annotations', 'val', 'val.json')
    parts = load_part_annotations(ann_file)
    metric = PartMaskRCNNMetric(ann_file=ann_file, score_thr=0.5)
    metric.dataset_meta = dict(classes=CLASSES)
    samples = []
    for image in parts['images'].values():
        masks, labels = gt_instances(ann_file, image)
        samples.append(det_sample(image, masks, labels, torch.full((len(labels),), 0.9)))
    metric.process({}, samples)
    metrics = metric.evaluate(len(samples))
    assert metrics['num_samples'] == len(parts['samples'])
    assert metrics['mIoU'] == pytest.approx(100.0)
    assert metrics['mIoU_part'] == pytest.approx(100.0)

    # One instance of a single-instance part, scored below score_thr: only the top-1
    # fallback keeps it.
    image = parts['images'][1]
    masks, labels = gt_instances(ann_file, image)
    single = next(label for label in labels.tolist() if (labels == label).sum() == 1)
    keep = labels == single
    for fallback, expected in ((False, 0.0), (True, 1.0)):
        metric = PartMaskRCNNMetric(ann_file=ann_file, score_thr=0.5, top1_fallback=fallback)
        metric.dataset_meta = dict(classes=CLASSES)
        metric.process({}, [det_sample(image, masks[keep], labels[keep], torch.tensor([0.1]))])
        records = metric.results[0]['records']
        assert [r['iou'] for r in records if r['category_id'] == single] == [expected]
        assert all(r['iou'] == 0 for r in records if r['category_id'] != single)


def test_bridge_label_order_follows_the_file(part_root):
    ann_file = osp.join(part_root, 'annotations', 'val', 'val.json')
    metric = PartMaskRCNNMetric(ann_file=ann_file)
    assert metric.label_to_category() == {i: i for i in range(40)}
    # mmdet numbers the matching categories in file order, not in metainfo order.
    metric.dataset_meta = dict(classes=('Bottle Body', 'Quadruped Head'))
    assert metric.label_to_category() == {0: 0, 1: 39}
    metric.dataset_meta = dict(classes=('Dog Nose',))
    with pytest.raises(KeyError, match='Dog Nose'):
        metric.label_to_category()


def test_bridge_rejects_wrong_inputs(part_root):
    ann_file = osp.join(part_root, 'annotations', 'val', 'val.json')
    with pytest.raises(ValueError, match='score_thr'):
        PartMaskRCNNMetric(ann_file=ann_file, threshold=0.5)
    metric = PartMaskRCNNMetric(ann_file=ann_file)
    image = load_part_annotations(ann_file)['images'][1]
    wrong_size = torch.zeros(1, image['height'] + 1, image['width'], dtype=torch.bool)
    with pytest.raises(ValueError, match='rescale=True'):
        metric.process({}, [det_sample(image, wrong_size, torch.tensor([0]), torch.tensor([0.9]))])
    with pytest.raises(KeyError, match='image id 999'):
        metric.process({}, [dict(img_id=999, pred_instances={})])


def tiny_maskrcnn_cfg(root, work_dir):
    """The baseline config with a ResNet-18, 32-channel Mask R-CNN at 64 px, no weights."""
    from mmengine.config import Config

    cfg = Config.fromfile(CONFIG)
    model = cfg.model
    model.backbone.update(depth=18, frozen_stages=-1, norm_eval=False)
    model.neck.update(in_channels=[64, 128, 256, 512], out_channels=16)
    model.rpn_head.update(in_channels=16, feat_channels=16)
    model.roi_head.bbox_roi_extractor.out_channels = 16
    model.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    model.roi_head.mask_roi_extractor.out_channels = 16
    model.roi_head.mask_head.update(in_channels=16, conv_out_channels=16, num_convs=1)
    model.train_cfg.rpn_proposal.update(nms_pre=100, max_per_img=50)
    model.train_cfg.rcnn.sampler.num = 32
    model.test_cfg.rpn.update(nms_pre=100, max_per_img=50)
    model.test_cfg.rcnn.update(max_per_img=20)
    for key in ('train_dataloader', 'val_dataloader'):
        loader = cfg[key]
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.data_root = root + '/'
        for transform in loader.dataset.pipeline:
            if transform.type == 'mmdet.Resize':
                transform.scale = (64, 64)
    cfg.train_dataloader.batch_size = 2
    ann_file = osp.join(root, 'annotations', 'val', 'val.json')
    cfg.val_evaluator = [
        dict(
            type='refseg.PartMaskRCNNMetric',
            ann_file=ann_file,
            score_thr=0.5,
            output_file=osp.join(work_dir, 'parts.json'),
        )
    ]
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor.by_epoch = False
    cfg.load_from = None
    cfg.work_dir = work_dir
    cfg.pop('test_dataloader')
    cfg.pop('test_evaluator')
    cfg.pop('test_cfg')
    return cfg


def test_tiny_maskrcnn_trains_and_is_scored_as_referring_parts(part_root, tmp_path):
    pytest.importorskip('mmdet')
    from mmengine.runner import Runner

    cfg = tiny_maskrcnn_cfg(part_root, str(tmp_path))
    assert cfg.default_scope == 'mmdet'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert runner.model.roi_head.bbox_head.num_classes == 40
    assert isinstance(runner.val_loop.evaluator.metrics[0], PartMaskRCNNMetric)
    records = load(osp.join(str(tmp_path), 'parts.json'))
    parts = load_part_annotations(osp.join(part_root, 'annotations', 'val', 'val.json'))
    # Every (image, part) sample of the split is scored once, in ref_id order.
    assert [r['ref_id'] for r in records] == list(range(len(parts['samples'])))
    assert [r['category_id'] for r in records] == [s['category_id'] for s in parts['samples']]
    assert all(0 <= r['iou'] <= 1 and r['intersection'] <= r['union'] for r in records)


def _warnings_of(run):
    """Run ``run()`` and return the WARNING messages it logged (print_log for real)."""
    import logging

    from mmengine.logging import MMLogger

    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Collect()
    logger.addHandler(handler)
    try:
        run()
    finally:
        logger.removeHandler(handler)
    return messages


def test_bridge_warns_on_a_subset_and_on_missing_classes(part_root):
    ann_file = osp.join(part_root, 'annotations', 'val', 'val.json')
    parts = load_part_annotations(ann_file)
    image = parts['images'][1]
    masks, labels = gt_instances(ann_file, image)
    # A detector with only the first 24 classes (no vehicles, boats, planes, bottles),
    # evaluated on one image of the two.
    metric = PartMaskRCNNMetric(ann_file=ann_file)
    metric.dataset_meta = dict(classes=CLASSES[:24])
    keep = labels < 24
    metric.process(
        {}, [det_sample(image, masks[keep], labels[keep], torch.full((int(keep.sum()),), 0.9))]
    )
    warnings = _warnings_of(lambda: metric.evaluate(1))
    assert any('scored' in w and 'subset' in w for w in warnings)
    missing = {
        s['category_id'] for s in parts['samples'] if s['image_id'] == 1 and s['category_id'] >= 24
    }
    if missing:
        assert any('unsupported' in w for w in warnings)


def test_sanitised_annotations_let_coco_metric_read_degenerate_polygons(tmp_path):
    pytest.importorskip('mmdet')
    import json

    from mmdet.evaluation import CocoMetric

    from refseg.datasets.partimagenet import sanitize_for_mmdet

    h, w = 20, 30
    square = [2.0, 2.0, 12.0, 2.0, 12.0, 12.0, 2.0, 12.0]
    coco = dict(
        images=[dict(id=1, file_name='n01440764_1.JPEG', height=h, width=w)],
        categories=[
            dict(id=i, name=name, supercategory=sup) for i, name, sup in PARTIMAGENET_CATEGORIES
        ],
        annotations=[
            # The first annotation's first polygon has 4 numbers (pycocotools reads the
            # list as boxes), the second annotation has nothing but a 2-number one.
            dict(
                id=1,
                image_id=1,
                category_id=9,
                iscrowd=0,
                area=100.0,
                bbox=[2.0, 2.0, 10.0, 10.0],
                segmentation=[[1.0, 1.0, 3.0, 3.0], square],
            ),
            dict(
                id=2,
                image_id=1,
                category_id=10,
                iscrowd=0,
                area=1.0,
                bbox=[20.0, 5.0, 1.0, 1.0],
                segmentation=[[20.0, 5.0]],
            ),
        ],
    )
    raw = tmp_path / 'val.json'
    raw.write_text(json.dumps(coco))
    sane = str(tmp_path / 'val_mmdet.json')
    stats = sanitize_for_mmdet(str(raw), sane)
    assert stats == dict(annotations=2, dropped_polygons=2, dropped_annotations=1)
    written = load(sane)
    assert [a['segmentation'] for a in written['annotations']] == [[square]]

    mask = torch.zeros(1, h, w, dtype=torch.bool)
    mask[0, 2:12, 2:12] = True
    prediction = dict(
        img_id=1,
        ori_shape=(h, w),
        pred_instances=dict(
            bboxes=torch.tensor([[2.0, 2.0, 12.0, 12.0]]),
            scores=torch.tensor([0.9]),
            labels=torch.tensor([9]),
            masks=mask,
        ),
    )

    def score(ann_file):
        metric = CocoMetric(ann_file=ann_file, metric=['segm'])
        metric.dataset_meta = dict(classes=CLASSES)
        metric.process({}, [prediction])
        return metric.evaluate(1)

    # pycocotools takes the raw list for boxes and fails.
    with pytest.raises(TypeError):
        score(str(raw))
    assert score(sane)['coco/segm_mAP'] == pytest.approx(1.0)
