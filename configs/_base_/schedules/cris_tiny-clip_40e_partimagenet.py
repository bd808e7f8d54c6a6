# cris_tiny_12e_partimagenet.py for the tiny CRIS from the tiny CLIP on the synthetic
# PartImageNet look-alike (176 training images, 40 iterations of 16 an epoch): 40 epochs with
# the x0.1 step after epoch 36. Chosen on val (docs/partimagenet.md): at 12 epochs mIoU_part
# was still rising by about 3 points an epoch.
_base_ = ['./cris_tiny_12e_partimagenet.py']

max_epochs = 40
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, milestones=[36], gamma=0.1),
]
train_cfg = dict(max_epochs=max_epochs)
