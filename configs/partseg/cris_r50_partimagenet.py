# CRIS R50 fine-tuned for part-granularity referring segmentation on PartImageNet (Seg
# release), starting from OpenAI CLIP RN50 weights: 416x416 letterbox, Adam lr 1e-4 with
# the CLIP encoders at 0.1x (schedule base), 10 epochs with a x0.1 step after epoch 7
# (CRIS's 35/50 scaled to 10 epochs; the best mIoU_part is kept), total batch 64 (8 GPUs x 8).
# Training mixes the expression templates; val/test use "the {part} of the {object}" and
# report PartRefSegMetric (mIoU, oIoU, Prec@X, per-part-class mIoU_part).
# See docs/partimagenet.md.
_base_ = [
    '../_base_/models/cris_r50.py',
    '../_base_/datasets/partimagenet.py',
    '../_base_/schedules/cris_partimagenet_10e.py',
]
