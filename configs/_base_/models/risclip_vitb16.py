# RISCLIP-B: frozen OpenAI CLIP ViT-B/16 + CFE + SKE + patch grounding + light decoder.
# Stage 1 by default; the stage-2 configs set model.stage=2 and load the stage-1 checkpoint.
# Every RISCLIP choice the paper leaves open is an option below (docs/model_zoo.md, RISCLIP).
clip_checkpoint = 'pretrain/ViT-B-16.pt'  # OpenAI archive; any source CLIPPretrained reads
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[122.7709, 116.7460, 104.0937],
    std=[68.5005, 66.6322, 70.3232],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=None,
)
model = dict(
    type='RISCLIPSegmentor',
    # The 448 x 448 letterbox of the datasets' *_448.py bases: 28 x 28 patches of 16 px
    # (positional embeddings resized bicubically).
    data_preprocessor=dict(data_preprocessor, size=(448, 448)),
    stage=1,
    finetune_stage1=False,  # stage 2: also train CFE/SKE/grounding (give them 0.1x lr)
    context_length=77,
    backbone=dict(
        type='CLIPVisionTransformer',
        input_resolution=224,
        patch_size=16,
        width=768,
        layers=12,
        heads=12,
        output_dim=512,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=77,
        width=512,
        layers=12,
        heads=8,
        embed_dim=512,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
    # CFE: set to None to drop CFE entirely; use_adapters=False drops CFE-U,
    # num_fused=0 drops CFE-X.
    cfe=dict(
        type='CFE',
        shared_dims=512,
        num_heads=8,
        bottleneck_dims=64,
        use_adapters=True,
        num_fused=6,
        block_pairs=None,  # default: last 6 image blocks with last 6 text blocks
        gate='zero_init',  # or 'tanh'
        sequential=False,
    ),
    ske=dict(type='SKE', num_heads=8, num_layers=6, mlp_ratio=1.0),  # None: no SKE
    ske_image_tokens='all',  # or 'patches'
    ske_text_tokens='all',  # or 'eot'
    feature_levels=(3, 7, 11),  # blocks 4, 8, 12 feed the decoder
    decode_head=dict(
        type='RISCLIPHead',
        image_dims=768,
        embed_dims=512,
        num_levels=3,
        grounding=dict(scale_init=10.0, bias_init=-2.0, learnable=True),
        # SyncBN as CRIS: batch statistics over all GPUs (4 x 8 images, not 8); mmengine's
        # Runner turns it back into BN for non-distributed runs.
        decoder=dict(
            channels=128,
            mid_channels=64,
            stem_channels=32,
            norm_cfg=dict(type='SyncBN', requires_grad=True),
        ),
        patch_target='soft',  # or 'binary' / 'any'
        loss_decode=[
            dict(type='SigmoidFocalLoss', alpha=0.65, gamma=2.0, loss_weight=1.75),
            dict(type='BinaryDiceLoss', smooth=1.0, loss_weight=1.0),
        ],
        threshold=0.5,
    ),
    train_cfg=dict(),
    test_cfg=dict(warp_mode='bicubic'),
)
