# The tiny CRIS's recipe on the synthetic world (configs/synthetic/cris_tiny_synthetic.py):
# Adam as CRIS, at a from-scratch learning rate (no 0.1x backbone: nothing is pretrained),
# 12 epochs with a 100-iteration warm-up and a x0.1 step after epoch 9, validated and
# checkpointed once, at the end (one checkpoint kept), in float32 (CPU), seed 0.
_base_ = ['../default_runtime.py']

max_epochs = 12
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0), clip_grad=None
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, milestones=[9], gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None)
)
randomness = dict(seed=0)
