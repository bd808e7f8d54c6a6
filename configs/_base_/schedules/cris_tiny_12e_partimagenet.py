# The tiny CRIS's recipe (cris_tiny_12e.py) on the synthetic PartImageNet look-alike,
# validated and checkpointed every 2 epochs, keeping the best val mIoU_part: the checkpoint
# selection of the Mask R-CNN baseline.
_base_ = ['./cris_tiny_12e.py']

train_cfg = dict(val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2, save_best='mIoU_part', rule='greater'))
