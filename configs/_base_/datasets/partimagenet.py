# PartImageNet (Seg release) as referring part segmentation: one sample per (image, part
# category present), target = the union of that category's annotations, expression from
# templates (docs/partimagenet.md). Layout under data_root:
#   images/{train,val,test}/<wnid>_<n>.JPEG
#   annotations/{train,val,test}/{train,val,test}.json
dataset_type = 'PartImageNetRefDataset'
data_root = 'data/partimagenet/'
img_size = 416

# PackRefSegInputs' defaults plus the part fields that PartRefSegMetric and the
# visualizer read.
meta_keys = (
    'img_path',
    'seg_map_path',
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
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs', meta_keys=meta_keys),
]
# The mask is decoded after the letterbox so that it stays at the original resolution,
# where the metric scores.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size=img_size),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs', meta_keys=meta_keys),
]

# Training mixes the expression forms (one drawn per access); evaluation uses the
# default "the {part} of the {object}".
train_templates = ['part_of_object', 'possessive', 'part_of_superclass', 'part']
train_template_weights = [0.5, 0.2, 0.15, 0.15]
test_templates = 'part_of_object'

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train/train.json',
        data_prefix=dict(img_path='images/train/'),
        templates=train_templates,
        template_weights=train_template_weights,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val/val.json',
        data_prefix=dict(img_path='images/val/'),
        templates=test_templates,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/test/test.json',
        data_prefix=dict(img_path='images/test/'),
        templates=test_templates,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)

val_evaluator = dict(type='PartRefSegMetric')
test_evaluator = val_evaluator
