# CRIS, CLIP RN50, on gRefCOCO (one, several or no target per expression): the RefCOCO
# recipe (cris_r50_refcoco.py) with a NoTargetHead beside the mask loss, which empties the
# mask of expressions it judges to have no target.
_base_ = ['./cris_r50_refcoco.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=1024))
# gRefCOCO in ReLA's layout (docs/dataset_prepare.md); testA / testB are held back by the
# authors, so test runs on val.
grefcoco = dict(
    type='GRefCOCODataset',
    data_root='data',
    ann_file='grefcoco/instances.json',
    split_file='grefcoco/grefs(unc).json',
    data_prefix=dict(img_path='images/train2014/'),
)
train_dataloader = dict(dataset=grefcoco)
val_dataloader = dict(dataset=grefcoco)
test_dataloader = dict(dataset=dict(grefcoco, split='val'))
# ReLA's evaluation: gIoU, cIoU, N-acc, T-acc; Prec@X with IoU >= X at 0.7, 0.8, 0.9.
val_evaluator = dict(
    type='RefSegMetric', gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9)
)
test_evaluator = val_evaluator
