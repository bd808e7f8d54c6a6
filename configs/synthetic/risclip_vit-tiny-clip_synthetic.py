# Tiny RISCLIP stage 2 (the light decoder, stage-1 parts and CLIP frozen) from the last
# checkpoint of risclip_vit-tiny-clip_synthetic_stage1.py.
#   python tools/train.py configs/synthetic/risclip_vit-tiny-clip_synthetic_stage1.py
#   python tools/train.py configs/synthetic/risclip_vit-tiny-clip_synthetic.py \
#       --cfg-options load_from=work_dirs/risclip_vit-tiny-clip_synthetic_stage1/iter_200.pth
_base_ = [
    '../_base_/models/risclip_vit-tiny-clip_stage2.py',
    '../_base_/datasets/synthetic_96.py',
    '../_base_/schedules/risclip_tiny_100i.py',
]
load_from = 'work_dirs/risclip_vit-tiny-clip_synthetic_stage1/iter_200.pth'
