# partimagenet_instance.py on PartImageNet's OOD release (val / test objects unseen in
# training; layout as partimagenet_ood.py). mmdet reads <split>_mmdet.json, written with
# the image wnid folders by
#   python tools/dataset_converters/sanitize_partimagenet.py data/partimagenet_ood \
#       --layout ood
# while the bridge metric reads the original <split>.json.
_base_ = ['./partimagenet_instance.py']

data_root = '{{$PARTIMAGENET_OOD_ROOT:data/partimagenet_ood/}}'
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='train_mmdet.json', data_prefix=dict(img='train/'))
)
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='val_mmdet.json', data_prefix=dict(img='val/'))
)
test_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='test_mmdet.json', data_prefix=dict(img='test/'))
)
val_evaluator = [
    dict(type='mmdet.CocoMetric', ann_file=data_root + 'val_mmdet.json', metric=['bbox', 'segm']),
    dict(type='refseg.PartMaskRCNNMetric', ann_file=data_root + 'val.json', score_thr=0.5),
]
test_evaluator = [
    dict(type='mmdet.CocoMetric', ann_file=data_root + 'test_mmdet.json', metric=['bbox', 'segm']),
    dict(type='refseg.PartMaskRCNNMetric', ann_file=data_root + 'test.json', score_thr=0.5),
]
