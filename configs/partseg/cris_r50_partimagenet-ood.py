# CRIS R50 on PartImageNet's OOD release: val and test hold object classes unseen in
# training (109 / 19 / 30 classes), so the part words must transfer across objects.
# Same model, schedule and metric as cris_r50_partimagenet.py; data as
# configs/_base_/datasets/partimagenet_ood.py.
_base_ = ['./cris_r50_partimagenet.py']

data_root = 'data/partimagenet_ood/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        layout='ood',
        ann_file='train.json',
        data_prefix=dict(img_path='train/'),
    )
)
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, layout='ood', ann_file='val.json', data_prefix=dict(img_path='val/')
    )
)
test_dataloader = dict(
    dataset=dict(
        data_root=data_root, layout='ood', ann_file='test.json', data_prefix=dict(img_path='test/')
    )
)
