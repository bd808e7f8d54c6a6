# RISCLIP-L on RefCOCOg (UMD partition), stage 1 of 2:
# risclip_vitb_refcocog-umd_stage1.py with the ViT-L/14 model.
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcocog-umd.py 4
_base_ = [
    '../_base_/models/risclip_vitl14.py',
    '../_base_/datasets/refcocog_umd_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]
