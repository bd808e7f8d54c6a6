# RISCLIP-B on PartImageNet, the full recipe: stage 2 of 2 trains the light decoder on
# full-resolution part masks with the stage-1 parts frozen, from the last stage-1
# checkpoint (risclip_vitb_partimagenet_stage1.py). RISCLIP's stage-2 recipe shortened
# as stage 1: 8k iterations (RISCLIP: 20k after 60k). Same data and metric as CRIS.
#   bash tools/train_two_stage.sh configs/partseg/risclip_vitb_partimagenet.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_stage2.py',
    '../_base_/datasets/partimagenet_448.py',
    '../_base_/schedules/risclip_stage2_8k.py',
]
