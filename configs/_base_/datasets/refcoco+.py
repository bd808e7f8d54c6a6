# RefCOCO+ (UNC partition): no absolute location words in the expressions. Layout:
#   train2014/*.jpg, refcoco+/instances.json, refcoco+/refs(unc).p
# Splits: train (42,278 refs), val (3,805), testA (1,975), testB (1,798); test runs on testA
# (--cfg-options test_dataloader.dataset.split=testB for the other one).
_base_ = ['./refcoco.py']

ann_file = 'refcoco+/instances.json'
split_file = 'refcoco+/refs(unc).p'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
