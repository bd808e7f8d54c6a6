# RISCLIP-B on PartImageNet, stage 2: trains the light decoder on full-resolution part
# masks with the stage-1 parts frozen, starting from the stage-1 checkpoint
# (risclip_vitb_partimagenet.py). RISCLIP's stage-2 recipe shortened as stage 1: 8k
# iterations (RISCLIP: 20k after 60k).
#   python tools/train.py configs/partseg/risclip_vitb_partimagenet_stage2.py \
#       --cfg-options load_from=work_dirs/risclip_vitb_partimagenet/<best checkpoint>.pth
_base_ = [
    './risclip_vitb_partimagenet.py', '../_base_/schedules/risclip_stage2_20k.py'
]

model = dict(stage=2)
max_iters = 8000
warmup_iters = 500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000))
load_from = 'work_dirs/risclip_vitb_partimagenet/stage1.pth'
