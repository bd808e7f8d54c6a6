# RISCLIP-B on gRefCOCO, stage 1 (CFE + SKE + grounding, with the NoTargetHead): the
# RefCOCO stage-1 recipe (risclip_vitb_refcoco_stage1.py). Stage 2: risclip_vitb_grefcoco.py.
_base_ = ['./risclip_vitb_refcoco_stage1.py', '../_base_/datasets/grefcoco.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=512))
# gRefCOCO (configs/_base_/datasets/grefcoco.py); test runs on val.
train_dataloader = dict(dataset=_base_.gres_dataset)
val_dataloader = dict(dataset=_base_.gres_dataset)
test_dataloader = dict(dataset=dict(_base_.gres_dataset, split='val'))
val_evaluator = _base_.gres_evaluator
test_evaluator = val_evaluator
