# A tiny Mask R-CNN (ResNet-18 at 1/4 width, 32-channel FPN) on the 40 part classes of the
# synthetic PartImageNet look-alike: baseline B of the synthetic study
# (tools/run_partseg_study.sh), which fine-tunes it from the object-level "pre-trained"
# detector of maskrcnn_tiny_partimagenet-synthetic_objects.py (load_from) as the real
# baseline fine-tunes mmdet's COCO Mask R-CNN. Validation keeps the best mIoU_part
# checkpoint, as CRIS's does.
_base_ = ['./maskrcnn_r50_fpn_partimagenet.py']

data_root = '{{$PARTIMAGENET_SYNTHETIC_ROOT:data/partimagenet_synthetic/}}'
scale = (160, 160)
model = dict(
    backbone=dict(depth=18, base_channels=16, frozen_stages=-1, norm_eval=False),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    rpn_head=dict(
        in_channels=32,
        feat_channels=32,
        # Parts of 64-128 px images are small: anchors from 16 px.
        anchor_generator=dict(scales=[4]),
    ),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=128),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(in_channels=32, conv_out_channels=32, num_convs=2),
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=300, max_per_img=100), rcnn=dict(sampler=dict(num=64))
    ),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=30)),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
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

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[9], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10.0))
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=3, max_keep_ckpts=1),
    visualization=dict(draw=False),
)
load_from = None
randomness = dict(seed=0)
