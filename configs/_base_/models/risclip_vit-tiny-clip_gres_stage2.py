# risclip_vit-tiny-clip_gres.py, stage 2: the light decoder and the NoTargetHead train with
# the stage-1 parts frozen, from stage 1's last checkpoint (found in its work dir).
_base_ = ['./risclip_vit-tiny-clip_gres.py']

model = dict(stage=2)
init_from_stage1 = True
