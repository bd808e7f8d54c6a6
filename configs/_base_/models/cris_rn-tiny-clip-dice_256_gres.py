# cris_rn-tiny-clip-dice_256.py with the NoTargetHead (the sentence feature attending over
# the fused visual features, trained with BCE beside the mask losses): gRES.
_base_ = ['./cris_rn-tiny-clip-dice_256.py']

model = dict(
    no_target_head=dict(
        type='NoTargetHead', in_channels=64, text_channels=64, channels=64, num_heads=4
    )
)
