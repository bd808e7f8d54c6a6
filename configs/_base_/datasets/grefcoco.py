# gRefCOCO (GRES, CVPR 2023) from its released files; layout under data_root (ReLA's,
# docs/dataset_prepare.md):
#   grefcoco/grefs(unc).json, grefcoco/instances.json
#   images/train2014/COCO_train2014_*.jpg
# Splits: train, val (testA / testB are held back by the authors, so test runs on val).
# refcoco.py's loaders and pipelines with the gRefCOCO dataset and ReLA's evaluation.
_base_ = ['./refcoco.py']

gres_dataset = dict(
    type='GRefCOCODataset',
    data_root='data',
    ann_file='grefcoco/instances.json',
    split_file='grefcoco/grefs(unc).json',
    data_prefix=dict(img_path='images/train2014/'),
)
# ReLA's evaluation: gIoU, cIoU, N-acc, T-acc; Prec@X with IoU >= X at 0.7, 0.8, 0.9.
gres_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
train_dataloader = dict(dataset=gres_dataset)
val_dataloader = dict(dataset=gres_dataset)
test_dataloader = dict(dataset=dict(gres_dataset, split='val'))
val_evaluator = gres_evaluator
test_evaluator = val_evaluator
