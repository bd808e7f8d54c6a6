# The tiny CRIS (cris_tiny.py) reading 17 tokens, as CRIS on RefCOCO: on the synthetic
# PartImageNet look-alike "the head of the bicycle-built-for-two" needs 13.
_base_ = ['./cris_tiny.py']

context_length = 17
model = dict(context_length=context_length, text_encoder=dict(context_length=context_length))
