# The naive baseline on risclip_tiny.py's frozen CLIP: its own patch-sentence cosine map as
# grounding (exp(s_hat) cos + b), the same light decoder, no CFE and no SKE, trained in
# one stage (decoder and grounding scale/bias together).
_base_ = ['./risclip_tiny.py']

model = dict(stage=2, finetune_stage1=True, cfe=None, ske=None)
