# RISCLIP-B on RefCOCOg (Google partition; the paper reports no numbers here),
# stage 2 of 2: risclip_vitb_refcoco.py on this dataset (files as
# configs/_base_/datasets/refcocog_google.py). Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcocog-google.py 4
_base_ = ['./risclip_vitb_refcoco.py']

ann_file = 'refcocog/instances.json'
split_file = 'refcocog/refs(google).p'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file, split='val'))
