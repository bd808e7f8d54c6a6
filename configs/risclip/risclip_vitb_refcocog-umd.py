# RISCLIP-B (frozen CLIP ViT-B/16) on RefCOCOg (UMD partition).
# The full recipe: stage 2 of 2, the light decoder on full-resolution masks with the
# stage-1 parts frozen, 20k iterations from the last checkpoint of stage 1
# (risclip_vitb_refcocog-umd_stage1.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcocog-umd.py 4
# or one at a time:
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcocog-umd_stage1.py 4
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcocog-umd.py 4
_base_ = [
    '../_base_/models/risclip_vitb16.py', '../_base_/datasets/refcocog_umd.py',
    '../_base_/default_runtime.py', '../_base_/schedules/risclip_stage2_20k.py'
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

model = dict(stage=2)
load_from = 'work_dirs/risclip_vitb_refcocog-umd_stage1/iter_60000.pth'

# Iteration-based logs and checkpoints (default_runtime.py counts epochs).
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=2000))
