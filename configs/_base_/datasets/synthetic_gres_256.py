# synthetic_gres.py letterboxed to 256 x 256: synthetic_256.py on the gRES split.
_base_ = ['./synthetic_256.py']

dataset_type = 'SyntheticGRefDataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(type=dataset_type))
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator
