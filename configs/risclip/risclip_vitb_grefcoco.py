# RISCLIP-B on gRefCOCO, stage 2: the RefCOCO recipe (risclip_vitb_refcoco.py) with a
# NoTargetHead on the SKE patch features, trained in both stages. Stage 1 is
# risclip_vitb_grefcoco_stage1.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_grefcoco.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_gres_stage2.py',
    '../_base_/datasets/grefcoco_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
