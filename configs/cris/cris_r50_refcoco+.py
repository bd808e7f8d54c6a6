# CRIS, CLIP RN50, RefCOCO+ (UNC): 50 epochs, 8 GPUs x 8 images, 416 x 416 letterbox.
_base_ = [
    '../_base_/models/cris_r50.py',
    '../_base_/datasets/refcoco+.py',
    '../_base_/schedules/cris_50e.py',
]
