# RISCLIP stage 2: the stage-1 recipe (risclip_stage1_60k.py) for 20k iterations,
# validated and checkpointed every 2k, with the stage-2 parameter groups (CFE, SKE and
# grounding at 0.1x lr when model.finetune_stage1=True; frozen otherwise).
_base_ = ['./risclip_stage1_60k.py']

optim_wrapper = dict(paramwise_cfg=_base_.stage2_paramwise_cfg)
max_iters = 20000
val_interval = 2000
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
