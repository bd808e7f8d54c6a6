# cris_tiny_ctx17.py with both CLIP towers initialised from the tiny CLIP pretrained on the
# synthetic world's image-text pairs (configs/clip/clip_rn-tiny_synthetic.py, exported to
# OpenAI's layout with tools/model_converters/clip_refseg_to_openai.py), through the same
# CLIPPretrained path as OpenAI's RN50.
_base_ = ['./cris_tiny_ctx17.py']

clip_checkpoint = 'pretrain/clip_rn-tiny_synthetic.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
)
