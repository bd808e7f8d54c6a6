# CRIS, CLIP RN101, RefCOCOg (UMD): cris_r50_refcocog-umd.py with the RN101 encoders.
_base_ = [
    '../_base_/models/cris_r101_ctx22.py',
    '../_base_/datasets/refcocog_umd.py',
    '../_base_/schedules/cris_50e.py',
]
