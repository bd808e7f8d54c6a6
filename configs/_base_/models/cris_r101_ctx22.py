# CRIS RN101 (cris_r101.py) reading 22 token positions instead of 17: RefCOCOg's
# expressions are longer.
_base_ = ['./cris_r101.py']

model = dict(context_length=22)
