# RISCLIP-B on RefCOCOg (UMD partition), stage 1 of 2: risclip_vitb_refcoco_stage1.py on this
# dataset (files as configs/_base_/datasets/refcocog_umd.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcocog-umd.py 4
_base_ = [
    '../_base_/models/risclip_vitb16.py',
    '../_base_/datasets/refcocog_umd_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]
