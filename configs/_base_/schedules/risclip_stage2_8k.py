# RISCLIP's stage-2 recipe (risclip_stage2_20k.py) shortened as risclip_stage1_24k.py:
# 8k iterations with a 500-iteration warm-up, validated and checkpointed every 1k.
_base_ = ['./risclip_stage2_20k.py']

max_iters = 8000
warmup_iters = 500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters),
]
val_interval = 1000
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
