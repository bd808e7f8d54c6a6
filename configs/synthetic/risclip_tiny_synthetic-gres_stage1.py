# The tiny RISCLIP of risclip_tiny_synthetic_stage1.py on the synthetic gRES split, with a
# NoTargetHead on the SKE patch features (trained in both stages). Stage 2:
# risclip_tiny_synthetic-gres.py; both in a row:
#   bash tools/train_two_stage.sh configs/synthetic/risclip_tiny_synthetic-gres.py 1
_base_ = [
    '../_base_/models/risclip_tiny_gres.py',
    '../_base_/datasets/synthetic_gres_64.py',
    '../_base_/schedules/risclip_tiny_600i.py',
]
