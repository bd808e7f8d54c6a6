# cris_tiny-dice_256.py with both CLIP towers initialised from the tiny CLIP pretrained on
# the synthetic world's image-text pairs (configs/clip/clip_rn-tiny_synthetic.py, exported
# to OpenAI's layout by tools/run_synthetic.sh), through the same CLIPPretrained path as
# OpenAI's RN50.
_base_ = ['./cris_tiny-dice_256.py']

clip_checkpoint = 'pretrain/clip_rn-tiny_synthetic.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
)
