# cris_tiny_synthetic-gres.py (with the NoTargetHead) with both CLIP towers initialised from
# the tiny CLIP pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_rn-tiny_synthetic.py, exported to OpenAI's layout by
# tools/run_synthetic.sh). Without the head: cris_rn-tiny-clip_synthetic-gres_no-head.py
_base_ = ['./cris_tiny_synthetic-gres.py']

clip_checkpoint = 'pretrain/clip_rn-tiny_synthetic.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
    text_encoder=dict(init_cfg=dict(type='CLIPPretrained', checkpoint=clip_checkpoint)),
)
