# Resolution ablation: maskrcnn_r50_fpn_partimagenet.py trained and tested with the longer
# side at 416 px (CRIS's letterbox) instead of 1333 x 800, so that both baselines see the
# same pixels.
_base_ = ['./maskrcnn_r50_fpn_partimagenet.py']

scale = (416, 416)
train_dataloader = dict(
    dataset=dict(
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='mmdet.Resize', scale=scale, keep_ratio=True),
            dict(type='mmdet.RandomFlip', prob=0.5),
            dict(type='mmdet.PackDetInputs'),
        ]
    )
)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
