# The gRES control of risclip_vit-tiny-clip_synthetic-gres_stage1.py without the
# NoTargetHead: the REFER model trained on the gRES split, empty masks for no-target
# expressions. Stage 2: risclip_vit-tiny-clip_synthetic-gres_no-head.py.
_base_ = [
    '../_base_/models/risclip_vit-tiny-clip.py',
    '../_base_/datasets/synthetic_gres_96.py',
    '../_base_/schedules/risclip_tiny_200i.py',
]
