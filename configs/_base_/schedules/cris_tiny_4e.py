# cris_tiny_12e.py shortened to 4 epochs (x0.1 after epoch 3): a third of the recipe, for
# the synthetic gRES split (3,600 training refs instead of REFER's 2,412), so that a run
# takes well under an hour on a shared 2-core machine.
_base_ = ['./cris_tiny_12e.py']

max_epochs = 4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
