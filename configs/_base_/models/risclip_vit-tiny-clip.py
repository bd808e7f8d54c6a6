# The tiny RISCLIP (risclip_tiny.py) on the frozen tiny CLIP ViT and text transformer
# pretrained on the synthetic world's image-text pairs (configs/clip/
# clip_vit-tiny_synthetic.py, exported to OpenAI's layout), loaded through CLIPPretrained
# as RISCLIP loads OpenAI's ViT-B/16: 96 x 96 input (datasets/synthetic_96.py), 17 tokens,
# a 64-wide joint space.
_base_ = ['./risclip_tiny.py']

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
