# Tiny RISCLIP stage 2 (the light decoder, stage-1 parts and CLIP frozen) from the last
# checkpoint of risclip_vit-tiny-clip_synthetic_stage1.py.
#   python tools/train.py configs/synthetic/risclip_vit-tiny-clip_synthetic_stage1.py
#   python tools/train.py configs/synthetic/risclip_vit-tiny-clip_synthetic.py \
#       --cfg-options load_from=work_dirs/risclip_vit-tiny-clip_synthetic_stage1/iter_200.pth
_base_ = ['./risclip_vit-tiny-clip_synthetic_stage1.py']

model = dict(stage=2)
load_from = 'work_dirs/risclip_vit-tiny-clip_synthetic_stage1/iter_200.pth'

max_iters = 100
warmup_iters = 10
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
