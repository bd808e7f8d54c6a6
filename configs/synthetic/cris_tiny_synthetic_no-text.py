# The language ablation of the main job: cris_tiny_synthetic.py with every expression
# replaced by the empty string, so the model can only guess the referent from the image.
_base_ = ['./cris_tiny_synthetic.py']

model = dict(text_override='')
