# Naive baseline for the tiny RISCLIP: the same frozen random "CLIP", its own
# patch-sentence cosine map as grounding (exp(s_hat) cos + b), the same light decoder, no
# CFE and no SKE. One stage: decoder and grounding scale/bias together, as many
# iterations as stage 1 + stage 2 of the full model.
#   python tools/train.py configs/synthetic/risclip_tiny_synthetic_naive.py
_base_ = ['./risclip_tiny_synthetic_stage1.py']

model = dict(stage=2, finetune_stage1=True, cfe=None, ske=None)

max_iters = 1000
warmup_iters = 50
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
