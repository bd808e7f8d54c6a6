# CRIS with CLIP RN101: what changes from CRIS RN50 (cris_r50.py), a deeper ResNet and a
# 512-d joint space (C5, the sentence state and the projector's text input are 512 wide).
# A delta, not a whole model: an RN101 config applies it to the RN50 config of the same
# dataset,
#   _base_ = ['./cris_r50_refcoco.py', '../_base_/models/cris_r101.py']
#   model = _base_.cris_r101
rn101_checkpoint = 'pretrain/RN101.pt'  # OpenAI archive; any source CLIPPretrained reads
cris_r101 = dict(
    backbone=dict(layers=(3, 4, 23, 3), output_dim=512, init_cfg=dict(checkpoint=rn101_checkpoint)),
    text_encoder=dict(embed_dim=512, init_cfg=dict(checkpoint=rn101_checkpoint)),
    neck=dict(in_channels=[512, 1024, 512], state_dim=512),
    decode_head=dict(projector=dict(text_channels=512)),
)
