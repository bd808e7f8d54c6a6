# risclip_tiny_synthetic-gres_stage1.py, stage 2: the light decoder (and the NoTargetHead)
# with the stage-1 parts frozen, from stage 1's last checkpoint.
_base_ = ['./risclip_tiny_synthetic-gres_stage1.py']

model = dict(stage=2)
load_from = 'work_dirs/risclip_tiny_synthetic-gres_stage1/iter_600.pth'

max_iters = 400
warmup_iters = 30
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
