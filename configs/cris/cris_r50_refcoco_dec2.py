# CRIS ablation (paper Table 1): 2 vision-language decoder layers.
_base_ = ['./cris_r50_refcoco.py']

model = dict(decode_head=dict(decoder=dict(num_layers=2)))
