# The control of the main job: cris_rn-tiny-clip_synthetic.py at the same budget and
# learning rates, with both towers randomly initialised (no CLIP pretraining).
_base_ = ['./cris_rn-tiny-clip_synthetic.py']

model = dict(backbone=dict(init_cfg=None), text_encoder=dict(init_cfg=None))
