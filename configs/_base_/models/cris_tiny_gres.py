# The tiny CRIS (cris_tiny.py) for the synthetic gRES split: 96 px (datasets/
# synthetic_gres_96.py; a third less compute than 128 px), 16 tokens (the gRES expressions
# are longer: "the medium red one to the right of the small purple shape" has 14) and a
# NoTargetHead beside the mask loss, which empties the mask of expressions it judges to
# have no target.
_base_ = ['./cris_tiny.py']

context_length = 16
data_preprocessor = dict(size=(96, 96))
model = dict(
    data_preprocessor=data_preprocessor,
    context_length=context_length,
    backbone=dict(input_resolution=96),
    text_encoder=dict(context_length=context_length),
    no_target_head=dict(
        type='NoTargetHead', in_channels=64, text_channels=64, channels=64, num_heads=4
    ),
)
