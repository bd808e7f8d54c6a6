# CRIS, CLIP RN101, RefCOCO (UNC): cris_r50_refcoco.py with the RN101 encoders.
_base_ = ['./cris_r50_refcoco.py', '../_base_/models/cris_r101.py']
model = _base_.cris_r101
