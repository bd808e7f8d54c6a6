# risclip_vit-tiny-clip.py, stage 2: the light decoder trains on full-resolution masks
# with the stage-1 parts frozen (the leaf config loads stage 1's last checkpoint).
_base_ = ['./risclip_vit-tiny-clip.py']

model = dict(stage=2)
