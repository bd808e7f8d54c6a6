# A tiny Mask R-CNN for the synthetic PartImageNet look-alike: mask-rcnn_r50_fpn.py with a
# ResNet-18 at 1/4 width (trained from scratch, no frozen stages) and a 32-channel FPN,
# fewer proposals and smaller heads. No COCO weights exist at this size.
_base_ = ['./mask-rcnn_r50_fpn.py']

model = dict(
    backbone=dict(depth=18, base_channels=16, frozen_stages=-1, norm_eval=False),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    rpn_head=dict(
        in_channels=32,
        feat_channels=32,
        # Parts of 64-128 px images are small: anchors from 16 px.
        anchor_generator=dict(scales=[4]),
    ),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=128),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(in_channels=32, conv_out_channels=32, num_convs=2),
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=300, max_per_img=100), rcnn=dict(sampler=dict(num=64))
    ),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=30)),
)

load_from = None
