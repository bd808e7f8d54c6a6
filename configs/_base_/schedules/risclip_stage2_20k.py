# RISCLIP stage 2: the light decoder on full-resolution masks, stage-1 parts frozen.
# Same optimiser recipe as stage 1 over 20k iterations. With model.finetune_stage1=True
# the CFE/SKE/grounding parameters are trained too, at 0.1x lr (custom_keys below).
_base_ = ['./risclip_stage1_60k.py']
paramwise_cfg = dict(
    norm_decay_mult=0.0,
    bias_decay_mult=0.0,
    custom_keys={
        'decode_head.grounding': dict(lr_mult=0.1, decay_mult=0.0),
        'cfe.': dict(lr_mult=0.1),
        'ske.': dict(lr_mult=0.1),
    })
optim_wrapper = dict(paramwise_cfg=paramwise_cfg)
max_iters = 20000
warmup_iters = 1000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
