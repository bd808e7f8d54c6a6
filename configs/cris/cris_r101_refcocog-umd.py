# CRIS, CLIP RN101, RefCOCOg (UMD): cris_r50_refcocog-umd.py with the RN101 encoders.
_base_ = ['./cris_r50_refcocog-umd.py', '../_base_/models/cris_r101.py']
model = _base_.cris_r101
