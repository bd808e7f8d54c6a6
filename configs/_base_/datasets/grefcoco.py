# gRefCOCO (GRES, CVPR 2023) from its released files; layout under data_root (ReLA's,
# docs/dataset_prepare.md):
#   grefcoco/grefs(unc).json, grefcoco/instances.json
#   images/train2014/COCO_train2014_*.jpg
# Splits: train, val (testA / testB are held back by the authors, so test runs on val).
# A second base next to a RefCOCO recipe: it only defines gres_* names, which the leaf puts
# into its dataloaders and evaluators (two bases may not set the same key).
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
