# Image-text pairs of the built-in synthetic world (pairs_{split}.json next to the REFER
# files, same images and splits), for CLIP pretraining. The world is generated on first use
# with the generate_cfg of ./synthetic.py, so pretraining and the referring models share it.
# Training draws one caption per image per access (no image is its own false negative);
# evaluation scores every pair with image<->text retrieval recall.
_base_ = ['./synthetic.py']

img_size = 128
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropToBox'),
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs', meta_keys=('img_path', 'image_key', 'text', 'img_shape')),
]
test_pipeline = train_pipeline

pairs_dataset = dict(
    type='ImageTextPairDataset',
    data_root={{_base_.data_root}},
    generate_cfg={{_base_.generate_cfg}},
    kinds=('scene', 'object'),
    object_view='crop',
)
train_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(pairs_dataset, split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(pairs_dataset, split='val', test_mode=True, pipeline=test_pipeline),
)
test_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(pairs_dataset, split='testA', test_mode=True, pipeline=test_pipeline),
)
val_evaluator = dict(_delete_=True, type='RetrievalMetric', topk=(1, 5))
test_evaluator = val_evaluator
