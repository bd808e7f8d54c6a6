# Mask R-CNN R50-FPN on the 40 PartImageNet part classes: the detector baseline for
# part-granularity referring segmentation (docs/partimagenet.md). Fine-tuned from mmdet's
# COCO Mask R-CNN (box and mask heads re-initialised for 40 classes; VLPart's PartImageNet
# baseline also starts from COCO), 1x schedule, batch 16 (8 GPUs x 2).
#
# Needs the optional mmdet (the `mmdet` extra: pip install -e ".[mmdet]"):
#   pip install --no-deps mmdet==3.3.0 && pip install six shapely terminaltables tqdm
#   python tools/train.py configs/partseg/maskrcnn_r50_fpn_partimagenet.py
#   python tools/test.py configs/partseg/maskrcnn_r50_fpn_partimagenet.py CHECKPOINT
# Validation and test report COCO box/mask AP and PartRefSegMetric on the same
# (image, part) samples as the referring models.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/partimagenet_instance.py',
    '../_base_/schedules/mask-rcnn_1x.py',
]
