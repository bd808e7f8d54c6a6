# CRIS training recipe (paper; official code where the paper is silent): Adam, lr 1e-4,
# no weight decay, CLIP encoders at 0.1x, 50 epochs with a x0.1 decay after epoch 35,
# validation every epoch, mixed precision; 8 GPUs x 8 images (total batch 64).
#
# Parameter groups follow the official code, which is what the paper ran: every
# 'backbone' and 'text_encoder' parameter trains at 0.1x, including the new, randomly
# initialised attnpool.connect, EXCEPT the two CLIP positional embeddings (text
# 'positional_embedding', image 'attnpool.positional_embedding'), which train at the
# full lr. mmengine picks the longest matching key, so 'positional_embedding' wins over
# the encoder keys.
#
# The official script also ran epoch 1 with every group at 1e-4 (an lr bug); to
# reproduce it, put dict(type='CRISLegacyWarmupLR') first in param_scheduler.
#
# AmpOptimWrapper needs CUDA. CPU fallback (debugging only), in a config inheriting
# this one:
#   optim_wrapper = dict(_delete_=True, type='OptimWrapper',
#                        optimizer={{_base_.optimizer}},
#                        paramwise_cfg={{_base_.paramwise_cfg}})
# Epoch-based: default_runtime.py's hooks and log processor already count epochs.
_base_ = ['../default_runtime.py']

optimizer = dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.0)
paramwise_cfg = dict(
    custom_keys={
        'backbone': dict(lr_mult=0.1),
        'text_encoder': dict(lr_mult=0.1),
        'positional_embedding': dict(lr_mult=1.0),
    }
)
optim_wrapper = dict(
    type='AmpOptimWrapper', loss_scale='dynamic', optimizer=optimizer, paramwise_cfg=paramwise_cfg
)
max_epochs = 50
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[35], gamma=0.1)
]
# Validate and checkpoint (best mIoU kept) every epoch.
val_interval = 1
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The lr above is for a total batch of 64; `--auto-scale-lr` style scaling is off.
auto_scale_lr = dict(enable=False, base_batch_size=64)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=val_interval))
