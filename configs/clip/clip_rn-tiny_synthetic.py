# A tiny CLIP ResNet (the image tower of configs/synthetic/cris_tiny_synthetic.py, with
# OpenAI's pooled attention pool) and text transformer, pretrained from scratch with CLIP's
# contrastive loss on the synthetic world's image-text pairs.
#   python tools/train.py configs/clip/clip_rn-tiny_synthetic.py
#   python tools/model_converters/clip_refseg_to_openai.py \
#       work_dirs/clip_rn-tiny_synthetic/iter_200.pth pretrain/clip_rn-tiny_synthetic.pth
# The exported file loads into CRIS through init_cfg=dict(type='CLIPPretrained', ...).
_base_ = [
    '../_base_/datasets/synthetic_pairs.py',
    '../_base_/schedules/clip_pretrain.py',
]

img_size = 96  # CRIS fine-tunes at 128: the attention pool's 3 x 3 grid is resized
context_length = 40  # the longest synthetic scene captions have 36 tokens

model = dict(
    type='CLIPPretrainer',
    data_preprocessor=dict(
        type='mmseg.SegDataPreProcessor',
        mean=[122.7709, 116.7460, 104.0937],
        std=[68.5005, 66.6322, 70.3232],
        bgr_to_rgb=True,
        size=(img_size, img_size),
    ),
    context_length=context_length,
    visual=dict(
        type='CLIPResNet',
        layers=(1, 1, 1, 1),
        width=16,
        heads=2,
        input_resolution=img_size,
        output_dim=64,
        dense_attnpool=False,
        out_indices=(4,),
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=context_length,
        width=64,
        layers=2,
        heads=4,
        embed_dim=64,
    ),
)

max_iters = 200
warmup_iters = 20
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_best=None))
# The pairs pipeline, letterboxing to img_size.
train_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.train_pipeline
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=train_pipeline))
randomness = dict(seed=0)
