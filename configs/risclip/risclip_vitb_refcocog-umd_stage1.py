# RISCLIP-B on RefCOCOg (UMD partition), stage 1 of 2: risclip_vitb_refcoco_stage1.py on this
# dataset (files as configs/_base_/datasets/refcocog_umd.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcocog-umd.py 4
_base_ = ['./risclip_vitb_refcoco_stage1.py']

ann_file = 'refcocog/instances.json'
split_file = 'refcocog/refs(umd).p'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file, split='test'))
