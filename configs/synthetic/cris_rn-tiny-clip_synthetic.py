# The README's main job: the tiny CRIS of cris_tiny_synthetic.py with both CLIP towers
# initialised from the tiny CLIP pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_rn-tiny_synthetic.py, exported to OpenAI's layout), through the same
# CLIPPretrained path as OpenAI's RN50. tools/run_synthetic.sh pretrains (or reuses) the
# CLIP, then trains and evaluates this config:
#   bash tools/run_synthetic.sh
# Schedule and learning rates are those of cris_tiny_synthetic.py for every parameter, so
# that CRIS from the tiny CLIP and from random initialisation
# (cris_rn-tiny-random_synthetic.py) differ only in the initial weights.
_base_ = ['./cris_tiny_synthetic.py']

clip_checkpoint = 'pretrain/clip_rn-tiny_synthetic.pth'
context_length = 17  # the longest synthetic expressions have 16 tokens
model = dict(
    context_length=context_length,
    backbone=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(
        context_length=context_length,
        init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)))
