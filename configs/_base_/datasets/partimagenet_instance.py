# PartImageNet (Seg release) as instance segmentation of the 40 part classes, for mmdet
# detectors (Mask R-CNN baseline). Same files as partimagenet.py. Category ids are 0-39
# and mmdet maps them to labels through the class names below, in the file's order.
# Evaluation: COCO box/mask AP, and the referring part metric on the same (image, part)
# samples as the referring models (refseg.PartMaskRCNNMetric in
# refseg/evaluation/metrics/maskrcnn_bridge.py).
# data_root is read once, here, from $PARTIMAGENET_ROOT (default data/partimagenet/), so
# that the dataloaders and both evaluators follow it; a child config that sets another
# data_root must restate the evaluators (mmengine does not re-derive values from a base).
dataset_type = 'mmdet.CocoDataset'
# Registers refseg.PartMaskRCNNMetric (the bridge to the referring metric, evaluators below).
custom_imports = dict(imports=['refseg.evaluation'], allow_failed_imports=False)
data_root = '{{$PARTIMAGENET_ROOT:data/partimagenet/}}'
metainfo = dict(
    classes=(
        'Quadruped Head',
        'Quadruped Body',
        'Quadruped Foot',
        'Quadruped Tail',
        'Biped Head',
        'Biped Body',
        'Biped Hand',
        'Biped Foot',
        'Biped Tail',
        'Fish Head',
        'Fish Body',
        'Fish Fin',
        'Fish Tail',
        'Bird Head',
        'Bird Body',
        'Bird Wing',
        'Bird Foot',
        'Bird Tail',
        'Snake Head',
        'Snake Body',
        'Reptile Head',
        'Reptile Body',
        'Reptile Foot',
        'Reptile Tail',
        'Car Body',
        'Car Tier',
        'Car Side Mirror',
        'Bicycle Body',
        'Bicycle Head',
        'Bicycle Seat',
        'Bicycle Tier',
        'Boat Body',
        'Boat Sail',
        'Aeroplane Head',
        'Aeroplane Body',
        'Aeroplane Engine',
        'Aeroplane Wing',
        'Aeroplane Tail',
        'Bottle Mouth',
        'Bottle Body',
    )
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    # Part names carry no left/right, so flipping is safe here.
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/train/train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/val/val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/test/test.json',
        data_prefix=dict(img='images/test/'),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)

# CocoMetric reads <split>_mmdet.json, a copy without the degenerate polygons that
# pycocotools cannot read (tools/dataset_converters/sanitize_partimagenet.py); the bridge
# metric reads the original file to rebuild the referring samples with the dataset's own
# hygiene.
val_evaluator = [
    dict(
        type='mmdet.CocoMetric',
        ann_file=data_root + 'annotations/val/val_mmdet.json',
        metric=['bbox', 'segm'],
    ),
    dict(
        type='refseg.PartMaskRCNNMetric',
        ann_file=data_root + 'annotations/val/val.json',
        score_thr=0.5,
    ),
]
test_evaluator = [
    dict(
        type='mmdet.CocoMetric',
        ann_file=data_root + 'annotations/test/test_mmdet.json',
        metric=['bbox', 'segm'],
    ),
    dict(
        type='refseg.PartMaskRCNNMetric',
        ann_file=data_root + 'annotations/test/test.json',
        score_thr=0.5,
    ),
]
