# The tiny RISCLIP of risclip_tiny_synthetic_stage1.py on the synthetic gRES split, with a
# NoTargetHead on the SKE patch features (trained in both stages). Stage 2:
# risclip_tiny_synthetic-gres.py; both in a row:
#   bash tools/train_two_stage.sh configs/synthetic/risclip_tiny_synthetic-gres.py 1
_base_ = ['./risclip_tiny_synthetic_stage1.py']

dataset_type = 'SyntheticGRefDataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(type=dataset_type))
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator

model = dict(
    no_target_head=dict(
        type='NoTargetHead', in_channels=32, text_channels=32, channels=32, num_heads=4
    )
)
