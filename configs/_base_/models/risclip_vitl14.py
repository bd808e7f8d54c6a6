# RISCLIP-L: frozen OpenAI CLIP ViT-L/14 + CFE + SKE + patch grounding + light decoder.
# Stage 1 by default; the stage-2 configs set model.stage=2 and load the stage-1 checkpoint.
# Every RISCLIP choice the paper leaves open is an option below (docs/model_zoo.md, RISCLIP).
clip_checkpoint = 'pretrain/ViT-L-14.pt'  # OpenAI archive; any source CLIPPretrained reads
crop_size = (448, 448)  # 32 x 32 patches; positional embeddings resized bicubically
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[122.7709, 116.7460, 104.0937],
    std=[68.5005, 66.6322, 70.3232],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=crop_size)
model = dict(
    type='RISCLIPSegmentor',
    data_preprocessor=data_preprocessor,
    stage=1,
    finetune_stage1=False,  # stage 2: also train CFE/SKE/grounding (give them 0.1x lr)
    context_length=77,
    backbone=dict(
        type='CLIPVisionTransformer',
        input_resolution=224,
        patch_size=14,
        width=1024,
        layers=24,
        heads=16,
        output_dim=768,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=77,
        width=768,
        layers=12,
        heads=12,
        embed_dim=768,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    # CFE: set to None to drop CFE entirely; use_adapters=False drops CFE-U,
    # num_fused=0 drops CFE-X.
    cfe=dict(
        type='CFE',
        shared_dims=768,
        num_heads=12,
        bottleneck_dims=64,
        use_adapters=True,
        num_fused=6,
        block_pairs=None,  # default: image blocks 18..23 with text blocks 6..11 (0-based)
        gate='zero_init',  # or 'tanh'
        sequential=False),
    ske=dict(type='SKE', num_heads=12, num_layers=6, mlp_ratio=1.0),  # None: no SKE
    ske_image_tokens='all',  # or 'patches'
    ske_text_tokens='all',  # or 'eot'
    feature_levels=(7, 15, 23),  # blocks 8, 16, 24 feed the decoder
    decode_head=dict(
        type='RISCLIPHead',
        image_dims=1024,
        embed_dims=768,
        num_levels=3,
        grounding=dict(scale_init=10.0, bias_init=-2.0, learnable=True),
        decoder=dict(
            channels=128, mid_channels=64, stem_channels=32,
            norm_cfg=dict(type='BN')),
        patch_target='soft',  # or 'binary' / 'any'
        loss_decode=[
            dict(type='SigmoidFocalLoss', alpha=0.65, gamma=2.0, loss_weight=1.75),
            dict(type='BinaryDiceLoss', smooth=1.0, loss_weight=1.0),
        ],
        threshold=0.5),
    train_cfg=dict(),
    test_cfg=dict(warp_mode='bicubic'))
