# RISCLIP-L (frozen CLIP ViT-L/14) on RefCOCO (UNC partition), stage 2 of 2: as
# risclip_vitb_refcoco.py with the ViT-L/14 model. Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcoco.py 4
_base_ = [
    '../_base_/models/risclip_vitl14_stage2.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
