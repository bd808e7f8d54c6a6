# The CRIS recipe (cris_50e.py) for fine-tuning on PartImageNet: 10 epochs with a x0.1
# step after epoch 7 (CRIS's 35/50 scaled to 10 epochs). The checkpoint kept is chosen by
# the same metric as the Mask R-CNN baseline's, mIoU_part.
_base_ = ['./cris_50e.py']

max_epochs = 10
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[7], gamma=0.1)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(save_best='mIoU_part', rule='greater'))
