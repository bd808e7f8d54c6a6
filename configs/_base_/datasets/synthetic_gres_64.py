# synthetic_gres.py letterboxed to 64 x 64: synthetic_64.py on the gRES split.
_base_ = ['./synthetic_64.py']

dataset_type = 'SyntheticGRefDataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(type=dataset_type))
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator
