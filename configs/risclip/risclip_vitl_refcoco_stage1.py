# RISCLIP-L (frozen CLIP ViT-L/14) on RefCOCO (UNC partition), stage 1 of 2: as
# risclip_vitb_refcoco_stage1.py with the ViT-L/14 model. Stage 2 is risclip_vitl_refcoco.py:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcoco.py 4
_base_ = [
    '../_base_/models/risclip_vitl14.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]
