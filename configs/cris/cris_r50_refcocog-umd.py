# CRIS, CLIP RN50, RefCOCOg (UMD): 50 epochs, 8 GPUs x 8 images, 416 x 416 letterbox.
_base_ = [
    '../_base_/models/cris_r50_ctx22.py',
    '../_base_/datasets/refcocog_umd.py',
    '../_base_/schedules/cris_50e.py',
]
