# A tiny CLIP ViT (the frozen image tower of configs/synthetic/risclip_tiny_synthetic*.py)
# and text transformer, pretrained from scratch with CLIP's contrastive loss on the
# synthetic world's image-text pairs: 200 iterations of 64 pairs at 96 x 96, object
# captions on crops around their object.
#   python tools/train.py configs/clip/clip_vit-tiny_synthetic.py
#   python tools/model_converters/clip_refseg_to_openai.py \
#       work_dirs/clip_vit-tiny_synthetic/iter_200.pth pretrain/clip_vit-tiny_synthetic.pth
# The exported file loads into RISCLIP through init_cfg=dict(type='CLIPPretrained', ...).
_base_ = [
    '../_base_/models/clip_vit-tiny.py',
    '../_base_/datasets/synthetic_pairs_96.py',
    '../_base_/schedules/clip_tiny_200i.py',
]

optim_wrapper = dict(optimizer=dict(lr=1e-3))
