# CRIS R50 on PartImageNet starting from a CRIS checkpoint trained on RefCOCO
# (configs/cris/cris_r50_refcoco.py) instead of from CLIP: same data, schedule and metric
# as cris_r50_partimagenet.py. Give the checkpoint with
#   python tools/train.py configs/partseg/cris_r50_partimagenet_from-refcoco.py \
#       --cfg-options load_from=work_dirs/cris_r50_refcoco/<best checkpoint>.pth
_base_ = ['./cris_r50_refcoco-zero-shot_partimagenet.py']

# The RefCOCO checkpoint holds every weight (CLIP encoders included), so the CLIP files
# are not read (as in the zero-shot config, which this one trains).
load_from = 'checkpoints/cris_r50_refcoco.pth'
