# RISCLIP-B on PartImageNet, the full recipe: stage 2 of 2 trains the light decoder on
# full-resolution part masks with the stage-1 parts frozen, from the last stage-1
# checkpoint (risclip_vitb_partimagenet_stage1.py). RISCLIP's stage-2 recipe shortened
# as stage 1: 8k iterations (RISCLIP: 20k after 60k). Same data and metric as CRIS.
#   bash tools/train_two_stage.sh configs/partseg/risclip_vitb_partimagenet.py 4
_base_ = [
    '../_base_/models/risclip_vitb16.py', '../_base_/datasets/partimagenet.py',
    '../_base_/default_runtime.py', '../_base_/schedules/risclip_stage2_20k.py'
]

img_size = 448
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRefMask'),
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size=img_size),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

model = dict(stage=2)
load_from = 'work_dirs/risclip_vitb_partimagenet_stage1/iter_24000.pth'

max_iters = 8000
warmup_iters = 500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)

log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=1000))
