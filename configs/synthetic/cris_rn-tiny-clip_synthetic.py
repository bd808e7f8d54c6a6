# The README's main job: the tiny CRIS of cris_tiny_synthetic.py with both CLIP towers
# initialised from the tiny CLIP pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_rn-tiny_synthetic.py, exported to OpenAI's layout), through the same
# CLIPPretrained path as OpenAI's RN50. tools/run_synthetic.sh pretrains (or reuses) the
# CLIP, then trains and evaluates this config:
#   bash tools/run_synthetic.sh
# As in CRIS, the pretrained encoders train at 0.1x the lr (their positional tables and
# the new attnpool.connect included, as the official code does for every backbone key
# but the positional embeddings).
_base_ = ['./cris_tiny_synthetic.py']

clip_checkpoint = 'pretrain/clip_rn-tiny_synthetic.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)))
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'text_encoder': dict(lr_mult=0.1),
            'positional_embedding': dict(lr_mult=1.0),
        }))
