# The main job's tiny CRIS (cris_rn-tiny-clip_synthetic.py: 256 x 256, from the tiny CLIP,
# CRIS's recipe in miniature) with the NoTargetHead on the synthetic gRES split (one,
# several or no targets per expression). Without the head:
# cris_rn-tiny-clip_synthetic-gres_no-head.py
_base_ = [
    '../_base_/models/cris_rn-tiny-clip-dice_256_gres.py',
    '../_base_/datasets/synthetic_gres_256.py',
    '../_base_/schedules/cris_tiny-clip_8e.py',
]
