# The tiny RISCLIP on the pretrained tiny CLIP (risclip_vit-tiny-clip.py) for gRES: a
# NoTargetHead on the SKE patch features, trained in both stages, as risclip_tiny_gres.py.
# The head alone decides "no target": the mask loss skips the no-target samples (a decoder
# that learns empty maps left 38 of the head's 377 accepted val targets empty), and its
# threshold, 0.45, is the one of 0.30-0.55 with the largest min(N-acc, T-acc) on val
# (docs/gres.md).
_base_ = ['./risclip_vit-tiny-clip.py']

model = dict(
    no_target_head=dict(
        type='NoTargetHead',
        in_channels=64,
        text_channels=64,
        channels=32,
        num_heads=4,
        threshold=0.45,
        mask_loss_on_targets_only=True,
    )
)
