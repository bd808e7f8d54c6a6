# The tiny RISCLIP (risclip_tiny.py) for gRES: a NoTargetHead on the SKE patch features,
# trained in both stages, judges whether an expression has a target.
_base_ = ['./risclip_tiny.py']

model = dict(
    no_target_head=dict(
        type='NoTargetHead', in_channels=32, text_channels=32, channels=32, num_heads=4
    )
)
