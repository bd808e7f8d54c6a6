# The tiny CRIS of cris_tiny_synthetic.py on the synthetic gRES split (one, several or no
# target per expression), with a NoTargetHead beside the mask loss: it empties the mask of
# expressions it judges to have no target. Without the head: cris_tiny_synthetic-gres_no-head.py
#   python tools/train.py configs/synthetic/cris_tiny_synthetic-gres.py
_base_ = [
    '../_base_/models/cris_tiny.py',
    '../_base_/datasets/synthetic_gres_96.py',
    '../_base_/schedules/cris_tiny_4e.py',
]

# 96 px (a third less compute than 128 px) and 16 tokens: the gRES expressions are longer
# ("the medium red one to the right of the small purple shape" has 14 tokens).
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
train_dataloader = dict(drop_last=True)
