# The built-in synthetic world (coloured shapes, REFER format + image-text pairs), generated under
# data_root on first use by SyntheticRefDataset (rank 0 in distributed runs), or beforehand:
#   python tools/dataset_converters/generate_synthetic.py data/synthetic
# Splits: train (random sentence per access), val (all sentences), testA as test; testB
# is a second test split: --cfg-options test_dataloader.dataset.split=testB
#
# Other input sizes: synthetic_64.py, synthetic_96.py (a variable of a base config is
# substituted when the base is read, so a config that only changed img_size would not
# reach the pipelines below).
dataset_type = 'SyntheticRefDataset'
data_root = 'data/synthetic'
img_size = 128
# Arguments of refseg.synthetic.ensure_synthetic_refer; other values regenerate the data.
# 1500 images of 192x256: 1200 train, 100 val, 100 testA, 100 testB.
generate_cfg = dict(num_images=1500, image_size=(192, 256), seed=0)

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

# 16 images a batch, as every tiny model on this world trains and tests.
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generate_cfg=generate_cfg,
        split='train',
        sentence_mode='random',
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generate_cfg=generate_cfg,
        split='val',
        sentence_mode='all',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generate_cfg=generate_cfg,
        split='testA',
        sentence_mode='all',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)

val_evaluator = dict(type='RefSegMetric')
test_evaluator = val_evaluator
