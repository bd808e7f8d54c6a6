# RISCLIP-L (frozen CLIP ViT-L/14) on RefCOCOg (UMD partition).
# Stage 1 of 2: CFE + SKE + patch grounding, 60k iterations at a total batch of 32
# (4 GPUs x 8), bf16 autocast. Stage 2 is risclip_vitl_refcocog-umd.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcocog-umd.py 4
_base_ = [
    '../_base_/models/risclip_vitl14.py', '../_base_/datasets/refcocog_umd.py',
    '../_base_/default_runtime.py', '../_base_/schedules/risclip_stage1_60k.py'
]

# The model base's crop_size (448): the letterbox must produce exactly that size.
img_size = 448
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
# 8 per GPU on 4 GPUs: the total batch of 32 the learning rate is set for.
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

# Iteration-based logs and checkpoints (default_runtime.py counts epochs).
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=5000))
