# RISCLIP-B (frozen CLIP ViT-B/16) on RefCOCO (UNC partition).
# Stage 1 of 2: CFE + SKE + patch grounding, 60k iterations at a total batch of 32
# (4 GPUs x 8), bf16 autocast. Stage 2 is risclip_vitb_refcoco.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco.py 4
# Each RISCLIP config names a model (stage 1 or 2), a dataset at 448 px and a schedule.
_base_ = [
    '../_base_/models/risclip_vitb16.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]
