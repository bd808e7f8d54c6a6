# The tiny RISCLIP of risclip_tiny_synthetic_stage1.py, stage 2: the light decoder on
# full-resolution masks with the stage-1 parts frozen, from stage 1's last checkpoint.
#   python tools/train.py configs/synthetic/risclip_tiny_synthetic_stage1.py
#   python tools/train.py configs/synthetic/risclip_tiny_synthetic.py
# or both: bash tools/train_two_stage.sh configs/synthetic/risclip_tiny_synthetic.py 1
_base_ = [
    '../_base_/models/risclip_tiny_stage2.py',
    '../_base_/datasets/synthetic_64.py',
    '../_base_/schedules/risclip_tiny_400i.py',
]
load_from = 'work_dirs/risclip_tiny_synthetic_stage1/iter_600.pth'
