# CRIS R50 on PartImageNet's OOD release: val and test hold object classes unseen in
# training (109 / 19 / 30 classes), so the part words must transfer across objects.
# Same model, schedule and metric as cris_r50_partimagenet.py; data as
# configs/_base_/datasets/partimagenet_ood.py.
_base_ = [
    '../_base_/models/cris_r50.py',
    '../_base_/datasets/partimagenet_ood.py',
    '../_base_/schedules/cris_partimagenet_10e.py',
]
