# CRIS with CLIP RN101: CRIS RN50 (cris_r50.py) with a deeper ResNet and a 512-d joint
# space (C5, the sentence state and the projector's text input are 512 wide).
_base_ = ['./cris_r50.py']

rn101_checkpoint = 'pretrain/RN101.pt'  # OpenAI archive; any source CLIPPretrained reads
model = dict(
    backbone=dict(layers=(3, 4, 23, 3), output_dim=512, init_cfg=dict(checkpoint=rn101_checkpoint)),
    text_encoder=dict(embed_dim=512, init_cfg=dict(checkpoint=rn101_checkpoint)),
    neck=dict(in_channels=[512, 1024, 512], state_dim=512),
    decode_head=dict(projector=dict(text_channels=512)),
)
