# CRIS, CLIP RN101, RefCOCOg (Google): cris_r50_refcocog-google.py with the RN101 encoders.
_base_ = ['./cris_r50_refcocog-google.py', '../_base_/models/cris_r101.py']
model = _base_.cris_r101
