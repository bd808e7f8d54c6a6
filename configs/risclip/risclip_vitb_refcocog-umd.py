# RISCLIP-B on RefCOCOg (UMD partition), stage 2 of 2: risclip_vitb_refcoco.py on this
# dataset (files as configs/_base_/datasets/refcocog_umd.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcocog-umd.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_stage2.py',
    '../_base_/datasets/refcocog_umd_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
