# CLIP's pretraining recipe (Radford et al., 2021): AdamW with beta2 0.98 and eps 1e-6,
# decoupled weight decay 0.2 on weights only (not on gains, biases, embeddings or the
# temperature), linear warm-up then cosine decay, by iteration. Leaf configs set lr,
# max_iters and warmup_iters to their scale. Logs and checkpoints count iterations.
_base_ = ['../default_runtime.py']

max_iters = 1000
warmup_iters = 100
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            # biases that are not a module's .bias, and the embedding tables
            'in_proj_bias': dict(decay_mult=0.0),
            'logit_scale': dict(decay_mult=0.0),
            'token_embedding': dict(decay_mult=0.0),
            'positional_embedding': dict(decay_mult=0.0),
            'class_embedding': dict(decay_mult=0.0),
        },
    ),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False), checkpoint=dict(by_epoch=False, interval=max_iters)
)
