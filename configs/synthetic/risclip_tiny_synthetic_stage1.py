# A tiny RISCLIP, stage 1 (CFE + SKE + patch grounding), trained on the built-in synthetic
# referring dataset. Same components and code path as configs/risclip/, shrunk so that it
# runs in minutes on 2 CPU cores. The frozen "CLIP" is a tiny RANDOM ViT and text
# transformer (no CLIP weights exist here): everything the model learns about language and
# shapes is learnt by the adapters, so this checks the machinery, not CLIP's knowledge.
# Stage 2: risclip_tiny_synthetic.py; baseline without CFE/SKE: risclip_tiny_synthetic_naive.py.
#   bash tools/train_two_stage.sh configs/synthetic/risclip_tiny_synthetic.py 1
_base_ = ['../_base_/datasets/synthetic.py', '../_base_/default_runtime.py']

img_size = 64  # 8 x 8 patches of 8 px
context_length = 16  # the longest synthetic expressions have 13 tokens

data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[122.7709, 116.7460, 104.0937],
    std=[68.5005, 66.6322, 70.3232],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=(img_size, img_size),
)
model = dict(
    type='RISCLIPSegmentor',
    data_preprocessor=data_preprocessor,
    stage=1,
    finetune_stage1=False,
    context_length=context_length,
    backbone=dict(
        type='CLIPVisionTransformer',
        input_resolution=img_size,
        patch_size=8,
        width=64,
        layers=4,
        heads=4,
        output_dim=32,
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=context_length,
        width=64,
        layers=2,
        heads=4,
        embed_dim=32,
    ),
    cfe=dict(
        type='CFE',
        shared_dims=32,
        num_heads=4,
        bottleneck_dims=16,
        use_adapters=True,
        num_fused=2,
        block_pairs=None,
        gate='zero_init',
        sequential=False,
    ),
    ske=dict(type='SKE', num_heads=4, num_layers=2, mlp_ratio=1.0),
    ske_image_tokens='all',
    ske_text_tokens='all',
    feature_levels=(1, 3),
    decode_head=dict(
        type='RISCLIPHead',
        image_dims=64,
        embed_dims=32,
        num_levels=2,
        grounding=dict(scale_init=10.0, bias_init=-2.0, learnable=True),
        decoder=dict(channels=32, mid_channels=16, stem_channels=8, norm_cfg=dict(type='BN')),
        patch_target='soft',
        loss_decode=[
            dict(type='SigmoidFocalLoss', alpha=0.65, gamma=2.0, loss_weight=1.75),
            dict(type='BinaryDiceLoss', smooth=1.0, loss_weight=1.0),
        ],
        threshold=0.5,
    ),
    train_cfg=dict(),
    test_cfg=dict(warp_mode='bicubic'),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRefMask'),
    dict(type='LetterBox', size=img_size),
    dict(type='PackRefSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LetterBox', size=img_size),
    dict(type='LoadRefMask'),
    dict(type='PackRefSegInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))

# RISCLIP's recipe (AdamW, wd 5e-3 without decay on norms/biases/grounding, warm-up + poly,
# clipping at 1.0) at a from-scratch learning rate, in float32 (CPU).
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
