# CLIP's recipe (clip_pretrain.py) for the tiny CLIPs: 400 iterations, 40 of warm-up,
# validated and checkpointed once at the end (one checkpoint kept), seed 0.
_base_ = ['./clip_pretrain.py']

max_iters = 400
warmup_iters = 40
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
