# mmdet's 1x schedule (mask-rcnn_1x.py) for the tiny Mask R-CNN on the synthetic
# PartImageNet look-alike: SGD 0.02 with gradient clipping at 10, a 50-iteration warm-up,
# 12 epochs with a x0.1 step after epoch 9, validated and checkpointed every 3 epochs
# (one checkpoint kept), logs every 20 iterations, no drawing, seed 0.
_base_ = ['./mask-rcnn_1x.py']

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[9], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10.0))
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=3, max_keep_ckpts=1),
    visualization=dict(draw=False),
)
randomness = dict(seed=0)
