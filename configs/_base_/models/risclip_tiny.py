# A tiny RISCLIP: the components of risclip_vitb16.py (frozen CLIP ViT and text
# transformer, CFE, SKE, patch grounding, light decoder) shrunk so that it runs in minutes
# on 2 CPU cores, for the synthetic world at 64 x 64 (datasets/synthetic_64.py). Without
# init_cfg the frozen "CLIP" is RANDOM: everything the model learns about language and
# shapes is learnt by the adapters.
context_length = 16  # the longest synthetic expressions have 13 tokens

data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[122.7709, 116.7460, 104.0937],
    std=[68.5005, 66.6322, 70.3232],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=(64, 64),  # the letterbox size of the dataset pipeline
)
model = dict(
    type='RISCLIPSegmentor',
    data_preprocessor=data_preprocessor,
    stage=1,
    finetune_stage1=False,
    context_length=context_length,
    backbone=dict(
        type='CLIPVisionTransformer',
        input_resolution=64,  # 8 x 8 patches of 8 px
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
