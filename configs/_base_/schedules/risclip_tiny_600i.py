# The tiny RISCLIP's stage 1 on the synthetic world: RISCLIP's recipe (AdamW, wd 5e-3
# without decay on norms/biases/grounding, warm-up + poly, clipping at 1.0) at a
# from-scratch learning rate, in float32 (CPU), 600 iterations, validated and checkpointed
# once, at the end (one checkpoint kept), seed 0. Logs and checkpoints count iterations.
_base_ = ['../default_runtime.py']

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-3),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'decode_head.grounding': dict(decay_mult=0.0)},
    ),
)
max_iters = 600
warmup_iters = 50
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1, save_best=None),
)
randomness = dict(seed=0)
