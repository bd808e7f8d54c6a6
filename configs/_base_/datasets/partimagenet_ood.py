# PartImageNet OOD release: train / val / test hold disjoint object classes (109 / 19 / 30),
# so val and test measure parts of unseen objects. Layout under data_root:
#   {train,val,test}/<wnid>/<wnid>_<n>.JPEG   and   {train,val,test}.json
_base_ = ['./partimagenet.py']

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
