# Zero-shot part referring: CRIS R50 trained on RefCOCO only (configs/cris/
# cris_r50_refcoco.py), evaluated on PartImageNet test with "the {part} of the {object}",
# no PartImageNet training:
#   python tools/test.py configs/partseg/cris_r50_refcoco-zero-shot_partimagenet.py \
#       work_dirs/cris_r50_refcoco/<best checkpoint>.pth
# The checkpoint holds every weight, so the CLIP files are not read.
_base_ = ['./cris_r50_partimagenet.py']

model = dict(backbone=dict(init_cfg=None), text_encoder=dict(init_cfg=None))
