# The language ablation of the main job: cris_rn-tiny-clip_synthetic.py with every
# expression replaced by the empty string (the model can only guess from the image).
_base_ = ['./cris_rn-tiny-clip_synthetic.py']

model = dict(text_override='')
