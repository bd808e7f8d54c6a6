# The README's main job: the tiny CRIS of cris_tiny_synthetic.py with both CLIP towers
# initialised from the tiny CLIP pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_rn-tiny_synthetic.py, exported to OpenAI's layout), through the same
# CLIPPretrained path as OpenAI's RN50. tools/run_synthetic.sh pretrains (or reuses) the
# CLIP, then trains and evaluates this config:
#   bash tools/run_synthetic.sh
# Schedule and learning rates are those of cris_tiny_synthetic.py for every parameter, so
# that CRIS from the tiny CLIP and from random initialisation
# (cris_rn-tiny-random_synthetic.py) differ only in the initial weights.
_base_ = ['./cris_tiny_synthetic.py']

clip_checkpoint = 'pretrain/clip_rn-tiny_synthetic.pth'
context_length = 17  # the longest synthetic expressions have 16 tokens
model = dict(
    context_length=context_length,
    backbone=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(
        context_length=context_length,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
)

# 4 epochs of the 2412 training referents (600 iterations of 16), the lr divided by 10
# for the last one: a budget that fits the 12-minute main job with the CLIP pretraining.
max_epochs = 4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# Also save at the first epoch end 3 minutes after the last save: a kill loses little work.
default_hooks = dict(checkpoint=dict(interval=max_epochs, interval_minutes=3))
