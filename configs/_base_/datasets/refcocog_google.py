# RefCOCOg, Google partition: train (44,822 refs) and val (5,000) only, with images shared
# between them; test runs on val. Layout: train2014/*.jpg, refcocog/instances.json,
# refcocog/refs(google).p
_base_ = ['./refcoco.py']

ann_file = 'refcocog/instances.json'
split_file = 'refcocog/refs(google).p'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file, split='val'))
