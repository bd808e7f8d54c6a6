# cris_tiny_synthetic-gres.py (with the NoTargetHead) with both CLIP towers initialised from
# the tiny CLIP pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_rn-tiny_synthetic.py, exported to OpenAI's layout by
# tools/run_synthetic.sh). Without the head: cris_rn-tiny-clip_synthetic-gres_no-head.py
_base_ = [
    '../_base_/models/cris_rn-tiny-clip_gres.py',
    '../_base_/datasets/synthetic_gres_96.py',
    '../_base_/schedules/cris_tiny_4e.py',
]
