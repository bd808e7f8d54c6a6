# RISCLIP's stage-1 recipe (risclip_stage1_60k.py) shortened to 24k iterations, validated
# and checkpointed every 2k: about 10 epochs of PartImageNet's roughly 77k training
# samples.
_base_ = ['./risclip_stage1_60k.py']

max_iters = 24000
val_interval = 2000
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
