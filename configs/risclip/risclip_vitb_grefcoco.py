# RISCLIP-B on gRefCOCO, stage 2: the RefCOCO recipe (risclip_vitb_refcoco.py) with a
# NoTargetHead on the SKE patch features, trained in both stages. Stage 1 is
# risclip_vitb_grefcoco_stage1.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_grefcoco.py 4
_base_ = ['./risclip_vitb_refcoco.py', '../_base_/datasets/grefcoco.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=512))
# gRefCOCO (configs/_base_/datasets/grefcoco.py); test runs on val.
train_dataloader = dict(dataset=_base_.gres_dataset)
val_dataloader = dict(dataset=_base_.gres_dataset)
test_dataloader = dict(dataset=dict(_base_.gres_dataset, split='val'))
val_evaluator = _base_.gres_evaluator
test_evaluator = val_evaluator
