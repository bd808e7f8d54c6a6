# Tiny RISCLIP stage 1 (CFE + SKE + patch grounding) on the frozen tiny CLIP ViT and text
# transformer pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_vit-tiny_synthetic.py, exported to OpenAI's layout), loaded through
# CLIPPretrained as RISCLIP loads OpenAI's ViT-B/16. Stage 2: risclip_vit-tiny-clip_synthetic.py;
# naive cosine baseline: risclip_vit-tiny-clip_synthetic_naive.py.
#   bash tools/run_synthetic.sh risclip
_base_ = [
    '../_base_/models/risclip_tiny.py',
    '../_base_/datasets/synthetic_96.py',
    '../_base_/schedules/risclip_tiny_600i.py',
]

context_length = 17  # the longest synthetic expressions have 16 tokens
clip_checkpoint = 'pretrain/clip_vit-tiny_synthetic.pth'

model = dict(
    data_preprocessor=dict(size=(96, 96)),
    context_length=context_length,
    backbone=dict(
        input_resolution=96,  # 12 x 12 patches of 8 px
        output_dim=64,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
    text_encoder=dict(
        context_length=context_length,
        embed_dim=64,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
    decode_head=dict(embed_dims=64),
)

max_iters = 200
warmup_iters = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
