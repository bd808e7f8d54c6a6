# RISCLIP-B, stage 2: the light decoder trains on full-resolution masks with the stage-1
# parts (CFE, SKE, grounding) frozen, starting from stage 1's last checkpoint
# (tools/train.py reads work_dirs/<name>_stage1/last_checkpoint; docs/model_zoo.md).
_base_ = ['./risclip_vitb16.py']

model = dict(stage=2)
init_from_stage1 = True
