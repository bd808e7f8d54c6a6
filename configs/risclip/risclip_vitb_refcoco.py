# RISCLIP-B (frozen CLIP ViT-B/16) on RefCOCO (UNC partition).
# The full recipe: stage 2 of 2, the light decoder on full-resolution masks with the
# stage-1 parts frozen, 20k iterations from the last checkpoint of stage 1
# (risclip_vitb_refcoco_stage1.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco.py 4
# or one at a time:
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcoco_stage1.py 4
#   bash tools/dist_train.sh configs/risclip/risclip_vitb_refcoco.py 4
_base_ = ['./risclip_vitb_refcoco_stage1.py']

model = dict(stage=2)
# Start from the last checkpoint in work_dirs/<this config's name>_stage1 (tools/train.py
# fails with the command to run when there is none; a stage-1 work dir elsewhere:
# --cfg-options init_from_stage1=DIR, or a checkpoint: load_from=PATH).
init_from_stage1 = True

# Stage 1's optimiser and schedule over 20k iterations (lr 5e-5 for both stages:
# docs/model_zoo.md); CFE/SKE/grounding at 0.1x lr if model.finetune_stage1=True.
optim_wrapper = dict(paramwise_cfg=_base_.stage2_paramwise_cfg)
max_iters = 20000
val_interval = 2000
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
