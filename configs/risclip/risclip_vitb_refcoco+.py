# RISCLIP-B on RefCOCO+ (UNC partition), stage 2 of 2: risclip_vitb_refcoco.py on this
# dataset (files as configs/_base_/datasets/refcoco+.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco+.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_stage2.py',
    '../_base_/datasets/refcoco+_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
