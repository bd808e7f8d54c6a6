# risclip_tiny_synthetic-gres_stage1.py, stage 2: the light decoder (and the NoTargetHead)
# with the stage-1 parts frozen, from stage 1's last checkpoint.
_base_ = [
    '../_base_/models/risclip_tiny_gres_stage2.py',
    '../_base_/datasets/synthetic_gres_64.py',
    '../_base_/schedules/risclip_tiny_400i.py',
]
load_from = 'work_dirs/risclip_tiny_synthetic-gres_stage1/iter_600.pth'
