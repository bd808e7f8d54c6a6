# The tiny RISCLIP on the pretrained tiny CLIP (risclip_vit-tiny-clip.py) for gRES: a
# NoTargetHead on the SKE patch features, trained in both stages, as risclip_tiny_gres.py.
_base_ = ['./risclip_vit-tiny-clip.py']

model = dict(
    no_target_head=dict(
        type='NoTargetHead', in_channels=64, text_channels=64, channels=32, num_heads=4
    )
)
