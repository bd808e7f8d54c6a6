# CRIS RN50 (cris_r50.py) reading 22 token positions instead of 17: RefCOCOg's
# expressions are longer.
_base_ = ['./cris_r50.py']

model = dict(context_length=22)
