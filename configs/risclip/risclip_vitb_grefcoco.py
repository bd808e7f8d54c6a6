# RISCLIP-B on gRefCOCO, stage 2: the RefCOCO recipe (risclip_vitb_refcoco.py) with a
# NoTargetHead on the SKE patch features, trained in both stages. Stage 1 is
# risclip_vitb_grefcoco_stage1.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_grefcoco.py 4
_base_ = ['./risclip_vitb_refcoco.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=512))
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
