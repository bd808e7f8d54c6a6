# A tiny, randomly initialised CRIS: the components of cris_r50.py (dense CLIP ResNet,
# CLIP text transformer, CRIS neck, decoder and projector) with every width and depth
# shrunk so that training and evaluation take minutes on 2 CPU cores. For the synthetic
# world at its default 128 x 128 (configs/_base_/datasets/synthetic.py).
context_length = 12
norm_cfg = dict(type='BN', requires_grad=True)

data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[122.7709, 116.7460, 104.0937],
    std=[68.5005, 66.6322, 70.3232],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=(128, 128),  # the letterbox size of the dataset pipeline
)

model = dict(
    type='RefSegmentor',
    data_preprocessor=data_preprocessor,
    context_length=context_length,
    backbone=dict(
        type='CLIPResNet',
        layers=(1, 1, 1, 1),
        width=16,
        heads=2,
        input_resolution=128,
        output_dim=64,
        dense_attnpool=True,
        norm_cfg=norm_cfg,
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=context_length,
        width=64,
        layers=2,
        heads=4,
        embed_dim=64,
    ),
    neck=dict(
        type='CRISNeck',
        in_channels=(128, 256, 64),
        out_channels=(32, 64, 128),
        state_dim=64,
        norm_cfg=norm_cfg,
    ),
    decode_head=dict(
        type='CRISHead',
        in_channels=64,
        decoder=dict(
            type='VLTransformerDecoder',
            num_layers=1,
            embed_dims=64,
            num_heads=4,
            ffn_dims=128,
            dropout=0.1,
        ),
        projector=dict(
            type='TextPixelProjector',
            in_channels=64,
            channels=32,
            text_channels=64,
            norm_cfg=norm_cfg,
        ),
        threshold=0.35,
    ),
)
