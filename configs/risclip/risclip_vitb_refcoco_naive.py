# Naive baseline for RISCLIP-B on RefCOCO: frozen CLIP ViT-B/16, CLIP's own patch-sentence
# cosine map as grounding (exp(s_hat) cos + b), the same light decoder, no CFE, no SKE.
# One stage: the decoder and the grounding scale/bias train together for 20k iterations
# (there is nothing to pre-train in a stage 1).
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcoco_naive.py 4
_base_ = [
    '../_base_/models/risclip_vitb16_naive.py',
    '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/risclip_stage2_20k.py',
]
init_from_stage1 = False
# The grounding scale and bias learn at the full rate here (the stage-2 0.1x is for
# fine-tuning a trained stage 1).
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'decode_head.grounding': dict(lr_mult=1.0, decay_mult=0.0)})
)
