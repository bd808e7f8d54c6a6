# The synthetic world's gRefCOCO-format split refcoco/grefs(unc).json: expressions with one
# target, several ("all the red shapes") or none (an attribute combination absent from the
# image), on the same images and instances.json as synthetic.py, generated on first use by
# SyntheticGRefDataset. Scored gRefCOCO-style (gIoU, cIoU, N-acc, T-acc, Prec@X over
# expressions with a target, per-kind breakdown; docs/metrics.md).
_base_ = ['./synthetic.py']

dataset_type = 'SyntheticGRefDataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(type=dataset_type))

# ReLA's evaluation: Prec@X with IoU >= X at 0.7, 0.8, 0.9.
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator
