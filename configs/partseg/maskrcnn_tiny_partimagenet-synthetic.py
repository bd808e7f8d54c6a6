# A tiny Mask R-CNN (ResNet-18 at 1/4 width, 32-channel FPN) on the 40 part classes of the
# synthetic PartImageNet look-alike: baseline B of the synthetic study
# (tools/run_partseg_study.sh), which fine-tunes it from the object-level "pre-trained"
# detector of maskrcnn_tiny_partimagenet-synthetic_objects.py (load_from) as the real
# baseline fine-tunes mmdet's COCO Mask R-CNN. Validation keeps the best mIoU_part
# checkpoint, as CRIS's does.
_base_ = [
    '../_base_/models/mask-rcnn_tiny_fpn.py',
    '../_base_/datasets/partimagenet_synthetic_instance.py',
    '../_base_/schedules/mask-rcnn_tiny_12e.py',
]
