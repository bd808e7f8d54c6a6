# Demo: the tiny, randomly initialised CRIS of configs/synthetic/cris_tiny_synthetic.py
# trained from scratch on the generated PartImageNet look-alike, with the part dataset,
# templates and metric of the real PartImageNet configs. Minutes on a CPU:
#   python tools/dataset_converters/generate_partimagenet.py data/partimagenet_synthetic \
#       --num-images 330 44 44
#   python tools/train.py configs/partseg/cris_tiny_partimagenet-synthetic.py
_base_ = [
    '../_base_/models/cris_tiny.py',
    '../_base_/datasets/partimagenet_synthetic_128.py',
    '../_base_/schedules/cris_tiny_12e.py',
]

# 17 tokens as CRIS on RefCOCO: "the head of the bicycle-built-for-two" needs 13.
context_length = 17
model = dict(context_length=context_length, text_encoder=dict(context_length=context_length))
train_dataloader = dict(drop_last=True)

# Checkpoint selection as the Mask R-CNN baseline's: the best val mIoU_part.
train_cfg = dict(val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2, save_best='mIoU_part', rule='greater'))
