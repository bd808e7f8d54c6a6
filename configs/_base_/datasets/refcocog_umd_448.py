# RefCOCOg (UMD partition) letterboxed to 448 x 448 (RISCLIP's input): refcoco_448.py with
# the files of refcocog_umd.py.
_base_ = ['./refcoco_448.py']

ann_file = 'refcocog/instances.json'
split_file = 'refcocog/refs(umd).p'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file, split='test'))
