# CRIS with CLIP RN50 (Wang et al., CVPR 2022): dense CLIP ResNet + CLIP text
# transformer, text-gated FPN neck, 3-layer vision-language decoder, text-to-pixel
# projector.
# Paper settings, official code where the paper is silent (docs/model_zoo.md, CRIS).
clip_checkpoint = 'pretrain/RN50.pt'  # OpenAI archive; any source CLIPPretrained reads
# SyncBN everywhere, backbone included, as the official training (8 GPUs x 8 images);
# mmengine's Runner turns it back into BN for non-distributed runs.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[122.7709, 116.7460, 104.0937],
    std=[68.5005, 66.6322, 70.3232],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=(416, 416),
)  # the letterbox size of the dataset pipeline
model = dict(
    type='RefSegmentor',
    data_preprocessor=data_preprocessor,
    context_length=17,  # 22 for RefCOCOg
    backbone=dict(
        type='CLIPResNet',
        layers=(3, 4, 6, 3),
        width=64,
        heads=32,
        input_resolution=224,
        output_dim=1024,
        dense_attnpool=True,
        out_indices=(1, 2, 4),  # C3, C4, dense C5
        norm_cfg=norm_cfg,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=77,
        width=512,
        layers=12,
        heads=8,
        embed_dim=1024,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint),
    ),
    neck=dict(
        type='CRISNeck',
        in_channels=[512, 1024, 1024],
        out_channels=[256, 512, 1024],
        state_dim=1024,
        norm_cfg=norm_cfg,
    ),
    decode_head=dict(
        type='CRISHead',
        in_channels=512,
        threshold=0.35,
        decoder=dict(
            type='VLTransformerDecoder',
            num_layers=3,
            embed_dims=512,
            num_heads=8,
            ffn_dims=2048,
            dropout=0.1,
        ),
        projector=dict(
            type='TextPixelProjector',
            in_channels=512,
            channels=256,
            text_channels=1024,
            kernel_size=3,
            norm_cfg=norm_cfg,
        ),
        loss_decode=dict(
            type='mmseg.CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True, loss_weight=1.0
        ),
    ),
    train_cfg=dict(),
    # sigmoid, bicubic (align_corners=True) to 416, inverse letterbox, > threshold
    test_cfg=dict(upsample_mode='bicubic', warp_mode='bicubic'),
)
