# RISCLIP stage 1: CFE + SKE + grounding on patch-level targets.
# AdamW lr 5e-5 at a total batch of 32 (e.g. 4 GPUs x 8), wd 5e-3 with no decay on norms,
# biases (attention in_proj_bias included: BiasNormDecayOptimWrapperConstructor) and the
# grounding scale/bias, 1k-iteration linear warm-up then poly (0.9) decay,
# gradient clipping at 1.0, bf16 autocast. Logs and checkpoints count iterations.
# AmpOptimWrapper needs CUDA. CPU fallback (debugging only), in a config inheriting this one:
#   optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer={{_base_.optimizer}},
#                        clip_grad={{_base_.clip_grad}}, paramwise_cfg={{_base_.paramwise_cfg}},
#                        constructor='BiasNormDecayOptimWrapperConstructor')
_base_ = ['../default_runtime.py']

optimizer = dict(type='AdamW', lr=5e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-3)
clip_grad = dict(max_norm=1.0, norm_type=2)
paramwise_cfg = dict(
    norm_decay_mult=0.0,
    bias_decay_mult=0.0,
    custom_keys={'decode_head.grounding': dict(decay_mult=0.0)},
)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    constructor='BiasNormDecayOptimWrapperConstructor',
    dtype='bfloat16',
    optimizer=optimizer,
    clip_grad=clip_grad,
    paramwise_cfg=paramwise_cfg,
)
max_iters = 60000
warmup_iters = 1000
# No `end` on the poly decay: mmengine's Runner ends it at train_cfg.max_iters, so a
# config or an override that changes the length needs no new schedule.
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters),
]
# Validate and checkpoint (best mIoU kept) every val_interval iterations.
val_interval = 5000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# Stage 2 (light decoder; stage-1 parts frozen): with model.finetune_stage1=True the
# CFE/SKE/grounding parameters are trained too, at 0.1x lr. Used by the stage-2 configs.
stage2_paramwise_cfg = dict(
    norm_decay_mult=0.0,
    bias_decay_mult=0.0,
    custom_keys={
        'decode_head.grounding': dict(lr_mult=0.1, decay_mult=0.0),
        'cfe.': dict(lr_mult=0.1),
        'ske.': dict(lr_mult=0.1),
    },
)
# The learning rate is for a total batch of 32 (not rescaled for other batch sizes).
auto_scale_lr = dict(enable=False, base_batch_size=32)

log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False), checkpoint=dict(by_epoch=False, interval=val_interval)
)
