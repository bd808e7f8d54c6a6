# risclip_tiny_600i.py at 100 iterations with a 10-iteration warm-up, validated and
# checkpointed once, at the end: risclip_vit-tiny-clip_synthetic.py (stage 2).
_base_ = ['./risclip_tiny_600i.py']

max_iters = 100
warmup_iters = 10
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
