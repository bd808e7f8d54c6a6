# RISCLIP-B (frozen CLIP ViT-B/16) on RefCOCO (UNC partition).
# The full recipe: stage 2 of 2, the light decoder on full-resolution masks with the
# stage-1 parts frozen, 20k iterations from the last checkpoint of stage 1
# (risclip_vitb_refcoco_stage1.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco.py 4
# or one at a time:
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcoco_stage1.py 4
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcoco.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_stage2.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
