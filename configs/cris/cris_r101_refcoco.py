# CRIS, CLIP RN101, RefCOCO (UNC): cris_r50_refcoco.py with the RN101 encoders.
_base_ = [
    '../_base_/models/cris_r101.py',
    '../_base_/datasets/refcoco.py',
    '../_base_/schedules/cris_50e.py',
]
