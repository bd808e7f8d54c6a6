# Tiny RISCLIP stage 1 on the frozen tiny CLIP (risclip_vit-tiny-clip_synthetic_stage1.py) on
# the synthetic gRES split, with a NoTargetHead on the SKE patch features. Stage 2:
# risclip_vit-tiny-clip_synthetic-gres.py; both in a row:
#   bash tools/train_two_stage.sh configs/synthetic/risclip_vit-tiny-clip_synthetic-gres.py 1
# Without the head: risclip_vit-tiny-clip_synthetic-gres_no-head{_stage1,}.py.
_base_ = [
    '../_base_/models/risclip_vit-tiny-clip_gres.py',
    '../_base_/datasets/synthetic_gres_96.py',
    '../_base_/schedules/risclip_tiny_200i.py',
]
