# RISCLIP-B "lite" on RefCOCO (UNC), stage 2 of 2: risclip_vitb_refcoco.py with the
# model of risclip-lite_vitb_refcoco_stage1.py, from that config's last checkpoint.
#   bash tools/train_two_stage.sh configs/risclip/risclip-lite_vitb_refcoco.py 4
_base_ = [
    '../_base_/models/risclip-lite_vitb16_stage2.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
