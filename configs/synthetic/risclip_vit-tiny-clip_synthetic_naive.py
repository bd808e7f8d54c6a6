# Naive baseline on the frozen pretrained tiny CLIP: its own patch-sentence cosine map as
# grounding (exp(s_hat) cos + b), the same light decoder, no CFE and no SKE, trained in
# one stage for as many iterations as RISCLIP's two stages. Without any training (the
# "zero-shot" row) the map alone is scored by tools/analysis_tools/zero_shot_grounding.py.
_base_ = ['./risclip_vit-tiny-clip_synthetic_stage1.py']

model = dict(stage=2, finetune_stage1=True, cfe=None, ske=None)

max_iters = 300
warmup_iters = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
