# RISCLIP-B on PartImageNet, the full recipe: stage 2 of 2 trains the light decoder on
# full-resolution part masks with the stage-1 parts frozen, from the last stage-1
# checkpoint (risclip_vitb_partimagenet_stage1.py). RISCLIP's stage-2 recipe shortened
# as stage 1: 8k iterations (RISCLIP: 20k after 60k). Same data and metric as CRIS.
#   bash tools/train_two_stage.sh configs/partseg/risclip_vitb_partimagenet.py 4
_base_ = ['./risclip_vitb_partimagenet_stage1.py']

model = dict(stage=2)
init_from_stage1 = True  # work_dirs/risclip_vitb_partimagenet_stage1's last checkpoint

# As configs/risclip/risclip_vitb_refcoco.py: CFE/SKE/grounding at 0.1x lr if
# model.finetune_stage1=True.
optim_wrapper = dict(paramwise_cfg=_base_.stage2_paramwise_cfg)
max_iters = 8000
warmup_iters = 500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters),
]
val_interval = 1000
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
