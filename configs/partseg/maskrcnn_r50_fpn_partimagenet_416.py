# Resolution ablation: maskrcnn_r50_fpn_partimagenet.py trained and tested with the longer
# side at 416 px (CRIS's letterbox) instead of 1333 x 800, so that both baselines see the
# same pixels.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/partimagenet_instance_416.py',
    '../_base_/schedules/mask-rcnn_1x.py',
]
