# Mask R-CNN R50-FPN (maskrcnn_r50_fpn_partimagenet.py) on PartImageNet's OOD release
# (val / test objects unseen in training; data: configs/_base_/datasets/
# partimagenet_ood_instance.py).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/partimagenet_ood_instance.py',
    '../_base_/schedules/mask-rcnn_1x.py',
]
