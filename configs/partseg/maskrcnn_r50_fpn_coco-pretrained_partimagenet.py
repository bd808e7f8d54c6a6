# Baseline A: mmdet's COCO Mask R-CNN R50-FPN with no PartImageNet training. COCO knows
# objects, not parts, so a part query (image, part c) is answered with the detected
# objects of c's superclass (the union of the instances of the COCO classes mapped to it
# scoring >= score_thr): how far object-level segmentation gets on part queries.
# Superclasses with no COCO class (Biped, Fish, Snake, Reptile) are unsupported: their
# samples are counted in num_unsupported, not scored. Test only:
#   python tools/test.py configs/partseg/maskrcnn_r50_fpn_coco-pretrained_partimagenet.py \
#       <mmdet's mask_rcnn_r50_fpn_1x_coco checkpoint, the load_from of the model base>
# A part-aware detector (Pascal-Part / PACO classes such as 'dog:head') plugs in the same
# way with part_class_map={'dog:head': 'Quadruped Head', ...} instead.
_base_ = ['./maskrcnn_r50_fpn_partimagenet.py', '../_base_/datasets/coco_to_partimagenet.py']

# As in the dataset base, so that the metric follows $PARTIMAGENET_ROOT with the data.
data_root = '{{$PARTIMAGENET_ROOT:data/partimagenet/}}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=80), mask_head=dict(num_classes=80)))
# No metainfo: mmdet's CocoDataset then carries COCO's 80 class names, which the bridge
# maps; the PartImageNet categories match none of them, so no ground truth is parsed.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
test_dataloader = dict(dataset=dict(metainfo=None, pipeline=test_pipeline))
test_evaluator = [
    dict(
        type='refseg.PartMaskRCNNMetric',
        ann_file=data_root + 'annotations/test/test.json',
        score_thr=0.5,
        object_class_map=_base_.coco_to_partimagenet,
    ),
]
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
val_dataloader = None
val_cfg = None
val_evaluator = None
