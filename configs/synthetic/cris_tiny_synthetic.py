# A tiny, randomly initialised CRIS trained from scratch on the built-in synthetic referring
# dataset: the README's main job. Same components and code path as
# configs/cris/cris_r50_refcoco.py, with every width and depth shrunk so that training and
# evaluation take minutes on 2 CPU cores. No CLIP weights are loaded.
_base_ = ['../_base_/datasets/synthetic.py', '../_base_/default_runtime.py']

img_size = 128
context_length = 12
norm_cfg = dict(type='BN', requires_grad=True)

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
    type='RefSegmentor',
    data_preprocessor=data_preprocessor,
    context_length=context_length,
    backbone=dict(
        type='CLIPResNet',
        layers=(1, 1, 1, 1),
        width=16,
        heads=2,
        input_resolution=img_size,
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
train_dataloader = dict(batch_size=16, drop_last=True, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))

# Adam as CRIS, at a from-scratch learning rate (no 0.1x backbone: nothing is pretrained).
max_epochs = 12
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0), clip_grad=None
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, milestones=[9], gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None)
)
randomness = dict(seed=0)
