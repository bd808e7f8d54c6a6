# The tiny CRIS of cris_tiny_synthetic.py on the synthetic gRES split (one, several or no
# target per expression), with a NoTargetHead beside the mask loss: it empties the mask of
# expressions it judges to have no target. Without the head: cris_tiny_synthetic-gres_no-head.py
#   python tools/train.py configs/synthetic/cris_tiny_synthetic-gres.py
_base_ = ['./cris_tiny_synthetic.py']

dataset_type = 'SyntheticGRefDataset'
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator

# 96 px (a third less compute than 128 px) and 16 tokens: the gRES expressions are longer
# ("the medium red one to the right of the small purple shape" has 14 tokens).
img_size = 96
context_length = 16
data_preprocessor = dict(size=(img_size, img_size))
model = dict(
    data_preprocessor=data_preprocessor,
    context_length=context_length,
    backbone=dict(input_resolution=img_size),
    text_encoder=dict(context_length=context_length),
    no_target_head=dict(
        type='NoTargetHead', in_channels=64, text_channels=64, channels=64, num_heads=4
    ),
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRefMask'),
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size=img_size),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs'),
]
train_dataloader = dict(dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))

# A third of the REFER recipe's 12 epochs (the gRES train split has 3,600 refs, REFER
# 2,412), so that a run takes well under an hour on a shared 2-core machine.
max_epochs = 4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
