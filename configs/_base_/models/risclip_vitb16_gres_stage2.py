# risclip_vitb16_gres.py, stage 2 (as risclip_vitb16_stage2.py for RISCLIP-B).
_base_ = ['./risclip_vitb16_gres.py']

model = dict(stage=2)
init_from_stage1 = True
