# The control of the main job: cris_rn-tiny-clip_synthetic.py at the same budget with both
# towers randomly initialised (no CLIP pretraining), so every parameter at the full lr.
_base_ = ['./cris_rn-tiny-clip_synthetic.py']

model = dict(backbone=dict(init_cfg=None), text_encoder=dict(init_cfg=None))
optim_wrapper = dict(paramwise_cfg=None)
