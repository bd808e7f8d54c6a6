# Naive baseline for RISCLIP-B on RefCOCO: frozen CLIP ViT-B/16, CLIP's own patch-sentence
# cosine map as grounding (exp(s_hat) cos + b), the same light decoder, no CFE, no SKE.
# One stage: the decoder and the grounding scale/bias train together for 20k iterations
# (there is nothing to pre-train in a stage 1).
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcoco_naive.py 4
_base_ = [
    '../_base_/models/risclip_vitb16.py', '../_base_/datasets/refcoco.py',
    '../_base_/default_runtime.py', '../_base_/schedules/risclip_stage2_20k.py'
]

model = dict(stage=2, finetune_stage1=True, cfe=None, ske=None)
# The grounding scale and bias learn at the full rate here (the schedule's 0.1x is for
# fine-tuning a trained stage 1).
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'decode_head.grounding': dict(lr_mult=1.0, decay_mult=0.0)}))

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
    checkpoint=dict(by_epoch=False, interval=2000))
