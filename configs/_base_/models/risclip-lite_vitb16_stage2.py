# risclip-lite_vitb16.py, stage 2 (as risclip_vitb16_stage2.py for RISCLIP-B).
_base_ = ['./risclip-lite_vitb16.py']

model = dict(stage=2)
init_from_stage1 = True
