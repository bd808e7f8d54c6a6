# RISCLIP-B "lite" on RefCOCO (UNC), stage 1 of 2: risclip_vitb_refcoco_stage1.py with
# CFE-X attending in a 256-wide shared space (instead of 512) and 3 SKE layers (instead
# of 6), the lighter setting of the RISCLIP spec's trainable-parameter table. Trainable
# parameters (tools/analysis_tools/count_params.py): docs/model_zoo.md. Both stages:
#   bash tools/train_two_stage.sh configs/risclip/risclip-lite_vitb_refcoco.py 4
_base_ = [
    '../_base_/models/risclip-lite_vitb16.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]
