# synthetic_gres.py letterboxed to 96 x 96: synthetic_96.py on the gRES split.
_base_ = ['./synthetic_96.py']

dataset_type = 'SyntheticGRefDataset'
# Every batch full: the tiny CRIS's BatchNorm sees 16 images.
train_dataloader = dict(drop_last=True, dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(type=dataset_type))
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator
