# RISCLIP-L on RefCOCO+ (UNC partition), stage 2 of 2:
# risclip_vitb_refcoco+.py with the ViT-L/14 model.
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcoco+.py 4
_base_ = [
    '../_base_/models/risclip_vitl14_stage2.py',
    '../_base_/datasets/refcoco+_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
