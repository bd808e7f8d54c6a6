# CRIS ablation (paper Table 1): 1 vision-language decoder layer.
_base_ = ['./cris_r50_refcoco.py']

model = dict(decode_head=dict(decoder=dict(num_layers=1)))
