# Demo: the tiny, randomly initialised CRIS of configs/synthetic/cris_tiny_synthetic.py
# trained from scratch on the generated PartImageNet look-alike, with the part dataset,
# templates and metric of the real PartImageNet configs. Minutes on a CPU:
#   python tools/dataset_converters/generate_partimagenet.py data/partimagenet_synthetic \
#       --num-images 330 44 44
#   python tools/train.py configs/partseg/cris_tiny_partimagenet-synthetic.py
_base_ = ['../synthetic/cris_tiny_synthetic.py']

# 17 tokens as CRIS on RefCOCO: "the head of the bicycle-built-for-two" needs 13.
context_length = 17
model = dict(context_length=context_length, text_encoder=dict(context_length=context_length))

data_root = '{{$PARTIMAGENET_SYNTHETIC_ROOT:data/partimagenet_synthetic/}}'
meta_keys = (
    'img_path',
    'ori_shape',
    'img_shape',
    'pad_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'reduce_zero_label',
    'text',
    'ref_id',
    'sent_id',
    'ann_id',
    'image_id',
    'letterbox_matrix',
    'category_id',
    'part_name',
    'object_name',
    'supercategory',
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRefMask'),
    dict(type='LetterBox', size={{_base_.img_size}}),
    dict(type='PackRefSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size={{_base_.img_size}}),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='PartImageNetRefDataset',
        data_root=data_root,
        ann_file='annotations/train/train.json',
        data_prefix=dict(img_path='images/train/'),
        templates=['part_of_object', 'possessive', 'part_of_superclass', 'part'],
        template_weights=[0.5, 0.2, 0.15, 0.15],
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='PartImageNetRefDataset',
        data_root=data_root,
        ann_file='annotations/val/val.json',
        data_prefix=dict(img_path='images/val/'),
        templates='part_of_object',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='PartImageNetRefDataset',
        data_root=data_root,
        ann_file='annotations/test/test.json',
        data_prefix=dict(img_path='images/test/'),
        templates='part_of_object',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
val_evaluator = dict(_delete_=True, type='PartRefSegMetric')
test_evaluator = val_evaluator

# Checkpoint selection as the Mask R-CNN baseline's: the best val mIoU_part.
train_cfg = dict(val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2, save_best='mIoU_part', rule='greater'))
