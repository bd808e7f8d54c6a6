# risclip_vit-tiny-clip_synthetic-gres_no-head_stage1.py, stage 2, from the last checkpoint
# in stage 1's work dir.
_base_ = [
    '../_base_/models/risclip_vit-tiny-clip_stage2.py',
    '../_base_/datasets/synthetic_gres_96.py',
    '../_base_/schedules/risclip_tiny_100i.py',
]
init_from_stage1 = True
