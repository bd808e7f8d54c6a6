# partimagenet_instance.py on the generated PartImageNet look-alike
# (tools/dataset_converters/generate_partimagenet.py), for the tiny Mask R-CNN: 64-128 px
# images resized to at most 160 px, small batches, no worker processes.
_base_ = ['./partimagenet_instance.py']

data_root = '{{$PARTIMAGENET_SYNTHETIC_ROOT:data/partimagenet_synthetic/}}'
scale = (160, 160)
# partimagenet_instance.py's pipelines, resized to scale.
train_pipeline = [
    dict(step, scale=scale) if step['type'] == 'mmdet.Resize' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=scale) if step['type'] == 'mmdet.Resize' else step
    for step in _base_.test_pipeline
]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    batch_size=8,
    **loader,
    dataset=dict(
        data_root=data_root,
        pipeline=train_pipeline,
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
    ),
)
val_dataloader = dict(
    batch_size=4, **loader, dataset=dict(data_root=data_root, pipeline=test_pipeline)
)
test_dataloader = dict(
    batch_size=4, **loader, dataset=dict(data_root=data_root, pipeline=test_pipeline)
)
# Only the referring part metric: COCO AP needs the sanitised files (the study's
# sanitize step writes them; add mmdet.CocoMetric on <split>_mmdet.json for AP).
val_evaluator = [
    dict(
        type='refseg.PartMaskRCNNMetric',
        ann_file=data_root + 'annotations/val/val.json',
        score_thr=0.5,
    ),
]
test_evaluator = [
    dict(
        type='refseg.PartMaskRCNNMetric',
        ann_file=data_root + 'annotations/test/test.json',
        score_thr=0.5,
    ),
]
