# RISCLIP-B on RefCOCOg (Google partition; the paper reports no numbers here),
# stage 2 of 2: risclip_vitb_refcoco.py on this dataset (files as
# configs/_base_/datasets/refcocog_google.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcocog-google.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_stage2.py',
    '../_base_/datasets/refcocog_google_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
