# The tiny CRIS of cris_tiny_synthetic.py on the synthetic gRES split (one, several or no
# target per expression), with a NoTargetHead beside the mask loss: it empties the mask of
# expressions it judges to have no target. Without the head: cris_tiny_synthetic-gres_no-head.py
#   python tools/train.py configs/synthetic/cris_tiny_synthetic-gres.py
_base_ = [
    '../_base_/models/cris_tiny_gres.py',
    '../_base_/datasets/synthetic_gres_96.py',
    '../_base_/schedules/cris_tiny_4e.py',
]
