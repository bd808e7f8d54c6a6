# A tiny, randomly initialised CRIS trained from scratch on the built-in synthetic referring
# dataset. Same components and code path as configs/cris/cris_r50_refcoco.py, with every
# width and depth shrunk so that training and evaluation take minutes on 2 CPU cores
# (model: configs/_base_/models/cris_tiny.py; recipe: configs/_base_/schedules/
# cris_tiny_12e.py). No CLIP weights are loaded.
_base_ = [
    '../_base_/models/cris_tiny.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/cris_tiny_12e.py',
]

# Every batch full: the tiny model's BatchNorm sees 16 images.
train_dataloader = dict(drop_last=True)
