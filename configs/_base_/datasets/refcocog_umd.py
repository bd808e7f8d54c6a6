# RefCOCOg, UMD partition (the one to report; images do not overlap between splits).
# Layout: train2014/*.jpg, refcocog/instances.json, refcocog/refs(umd).p
# Splits: train (42,226 refs), val (2,573), test (5,023). Expressions are longer: CRIS uses
# a text context length of 22 instead of 17 (a model setting).
_base_ = ['./refcoco.py']

ann_file = 'refcocog/instances.json'
split_file = 'refcocog/refs(umd).p'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file, split='test'))
