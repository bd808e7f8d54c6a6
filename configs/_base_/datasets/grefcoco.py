# gRefCOCO (GRES, CVPR 2023) from its released files; layout under data_root (ReLA's,
# docs/dataset_prepare.md):
#   grefcoco/grefs(unc).json, grefcoco/instances.json
#   images/train2014/COCO_train2014_*.jpg
# Splits: train, val (testA / testB are held back by the authors). val scores every
# sentence, gRefCOCO-style (gIoU, cIoU, N-acc, T-acc; docs/metrics.md).
_base_ = ['./refcoco.py']

dataset_type = 'GRefCOCODataset'
data_root = 'data'
ann_file = 'grefcoco/instances.json'
split_file = 'grefcoco/grefs(unc).json'
data_prefix = dict(img_path='images/train2014/')
dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=ann_file,
    split_file=split_file,
    data_prefix=data_prefix,
)
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dict(dataset, split='val'))

# ReLA's evaluation: Prec@X with IoU >= X at 0.7, 0.8, 0.9.
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator
