# RISCLIP-B (frozen CLIP ViT-B/16) on RefCOCO (UNC partition).
# Stage 1 of 2: CFE + SKE + patch grounding, 60k iterations at a total batch of 32
# (4 GPUs x 8), bf16 autocast. Stage 2 is risclip_vitb_refcoco.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco.py 4
# Every other RISCLIP config on RefCOCO-family data derives from this one.
_base_ = [
    '../_base_/models/risclip_vitb16.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]

model = dict(data_preprocessor=dict(size=(448, 448)))
