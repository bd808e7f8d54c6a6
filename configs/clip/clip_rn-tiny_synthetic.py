# A tiny CLIP ResNet (the image tower of the tiny CRIS, with OpenAI's pooled attention pool)
# and text transformer, pretrained from scratch with CLIP's contrastive loss on the synthetic
# world's image-text pairs: 400 iterations of 64 pairs at 64 x 64, object captions on crops
# around their object (so that an object spans about as many pixels as in a scene at CRIS's
# 256 x 256 input).
#   python tools/train.py configs/clip/clip_rn-tiny_synthetic.py
#   python tools/model_converters/clip_refseg_to_openai.py \
#       work_dirs/clip_rn-tiny_synthetic/iter_400.pth pretrain/clip_rn-tiny_synthetic.pth
# The exported file loads into CRIS through init_cfg=dict(type='CLIPPretrained', ...).
_base_ = [
    '../_base_/models/clip_rn-tiny.py',
    '../_base_/datasets/synthetic_pairs_64.py',
    '../_base_/schedules/clip_tiny_400i.py',
]

optim_wrapper = dict(optimizer=dict(lr=2e-3))
