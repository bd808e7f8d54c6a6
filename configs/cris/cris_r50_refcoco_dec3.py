# CRIS ablation (paper Table 1): 3 vision-language decoder layers. This is the default;
# the file completes the table.
_base_ = ['./cris_r50_refcoco.py']

model = dict(decode_head=dict(decoder=dict(num_layers=3)))
