# Resolution ablation: cris_r50_partimagenet.py with a 640 x 640 letterbox instead of 416
# (closer to Mask R-CNN's 1333 x 800 on PartImageNet's ~500 px images), everything else
# unchanged. Small parts (side mirrors, bottle mouths, feet) are a few pixels at 416 / 4.
_base_ = ['./cris_r50_partimagenet.py']

img_size = 640
model = dict(data_preprocessor=dict(size=(img_size, img_size)))
meta_keys = {{_base_.meta_keys}}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRefMask'),
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size=img_size),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs', meta_keys=meta_keys),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
