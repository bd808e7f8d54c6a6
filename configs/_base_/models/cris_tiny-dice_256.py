# The tiny CRIS reading 17 tokens (cris_tiny_ctx17.py) at 256 x 256 input, trained with a
# Dice term beside CRIS's BCE. At 128 x 128 the synthetic world's shapes span 3-9 px, a few
# cells of CRIS's 1/4-resolution mask, and BCE alone learnt to predict (almost) nothing in
# the main job's budget (docs/synthetic.md); the Dice term weighs each referent as a whole.
_base_ = ['./cris_tiny_ctx17.py']

model = dict(
    data_preprocessor=dict(size=(256, 256)),  # the letterbox size of the dataset pipeline
    backbone=dict(input_resolution=256),
    decode_head=dict(
        loss_decode=[
            dict(
                type='mmseg.CrossEntropyLoss',
                use_sigmoid=True,
                avg_non_ignore=True,
                loss_weight=1.0,
            ),
            dict(type='BinaryDiceLoss', loss_weight=1.0),
        ]
    ),
)
