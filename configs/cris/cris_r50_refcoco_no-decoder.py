# CRIS ablation (paper Table 1, "w/o decoder"): the neck output goes straight to the
# text-to-pixel projector; words reach the mask only through the sentence state.
_base_ = ['./cris_r50_refcoco.py']

model = dict(decode_head=dict(decoder=None))
