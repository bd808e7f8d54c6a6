# CRIS, CLIP RN50, on gRefCOCO (one, several or no target per expression): the RefCOCO
# recipe (cris_r50_refcoco.py) with a NoTargetHead beside the mask loss, which empties the
# mask of expressions it judges to have no target.
_base_ = ['./cris_r50_refcoco.py', '../_base_/datasets/grefcoco.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=1024))
# gRefCOCO (configs/_base_/datasets/grefcoco.py); test runs on val.
train_dataloader = dict(dataset=_base_.gres_dataset)
val_dataloader = dict(dataset=_base_.gres_dataset)
test_dataloader = dict(dataset=dict(_base_.gres_dataset, split='val'))
val_evaluator = _base_.gres_evaluator
test_evaluator = val_evaluator
