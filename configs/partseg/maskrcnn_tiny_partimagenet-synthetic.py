# A tiny Mask R-CNN (ResNet-18 at 1/4 width, 32-channel FPN) on the 40 part classes of the
# synthetic PartImageNet look-alike: baseline B of the synthetic study
# (tools/run_partseg_study.sh), which fine-tunes it from the object-level "pre-trained"
# detector of maskrcnn_tiny_partimagenet-synthetic_objects.py (load_from) as the real
# baseline fine-tunes mmdet's COCO Mask R-CNN. Validation keeps the best mIoU_part
# checkpoint, as CRIS's does.
_base_ = [
    '../_base_/models/mask-rcnn_tiny_fpn.py',
    '../_base_/datasets/partimagenet_synthetic_instance.py',
    '../_base_/schedules/mask-rcnn_1x.py',
]

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
