# The synthetic study's stand-in for a COCO-pretrained Mask R-CNN: the tiny Mask R-CNN of
# maskrcnn_tiny_partimagenet-synthetic.py trained on whole objects (the union of each
# object's parts) of the 7 superclasses COCO covers, named as COCO names them
# (tools/dataset_converters/partimagenet_objects.py writes <split>_objects.json). It never
# sees a part. Tested, it is baseline A: a part query is answered with the detected object
# of the part's superclass; Biped, Fish, Snake and Reptile have no class (unsupported),
# as with the real COCO detector.
_base_ = [
    './maskrcnn_tiny_partimagenet-synthetic.py',
    '../_base_/datasets/coco_to_partimagenet.py',
]

data_root = '{{$PARTIMAGENET_SYNTHETIC_ROOT:data/partimagenet_synthetic/}}'
classes = ('airplane', 'bicycle', 'bird', 'boat', 'bottle', 'car', 'dog')
# The map of the real baseline, restricted to these classes.
coco_to_partimagenet = {name: _base_.coco_to_partimagenet[name] for name in classes}
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=len(classes)), mask_head=dict(num_classes=len(classes))
    )
)
train_dataloader = dict(
    dataset=dict(metainfo=dict(classes=classes), ann_file='annotations/train/train_objects.json')
)
# Tested on the part file (its images and ids); the COCO-named classes match no part
# category, so no part ground truth is parsed by mmdet.
test_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
bridge = dict(
    type='refseg.PartMaskRCNNMetric', score_thr=0.5, object_class_map=coco_to_partimagenet
)
val_evaluator = [dict(bridge, ann_file=data_root + 'annotations/val/val.json')]
test_evaluator = [dict(bridge, ann_file=data_root + 'annotations/test/test.json')]
# Pretraining selects nothing on parts: validated once at the end (for the log), the last
# checkpoint is kept.
train_cfg = dict(val_interval=_base_.max_epochs)
default_hooks = dict(checkpoint=dict(interval=_base_.max_epochs, save_best=None))
