# RefCOCO (UNC partition) from the REFER files; layout under data_root (docs/dataset_prepare.md):
#   train2014/COCO_train2014_*.jpg
#   refcoco/instances.json, refcoco/refs(unc).p
# Splits: train (42,404 refs), val (3,811), testA (1,975, people), testB (1,810, objects).
# val scores every sentence; test runs on testA, switch with
#   --cfg-options test_dataloader.dataset.split=testB   (or val)
dataset_type = 'RefCOCODataset'
data_root = 'data/coco'
ann_file = 'refcoco/instances.json'
split_file = 'refcoco/refs(unc).p'
img_size = 416
# As CRIS: the cleaned, lower-cased 'sent' field ('raw' is the annotator's text).
text_field = 'sent'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRefMask'),
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs'),
]
# The mask is decoded after the letterbox: it stays at the original resolution, where the
# metric scores.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size=img_size),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        split='train',
        sentence_mode='random',
        text_field=text_field,
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
        ann_file=ann_file,
        split_file=split_file,
        split='val',
        sentence_mode='all',
        text_field=text_field,
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
        ann_file=ann_file,
        split_file=split_file,
        split='testA',
        sentence_mode='all',
        text_field=text_field,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)

val_evaluator = dict(type='RefSegMetric')
test_evaluator = val_evaluator
