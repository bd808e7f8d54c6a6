# RISCLIP-B on gRefCOCO, stage 1 (CFE + SKE + grounding, with the NoTargetHead): the
# RefCOCO stage-1 recipe (risclip_vitb_refcoco_stage1.py). Stage 2: risclip_vitb_grefcoco.py.
_base_ = [
    '../_base_/models/risclip_vitb16_gres.py',
    '../_base_/datasets/grefcoco_448.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]
