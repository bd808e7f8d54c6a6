# cris_tiny_4e.py for a tiny CRIS initialised from a tiny CLIP: CRIS's learning rates, both
# CLIP towers at 0.1x the lr and the positional embeddings at 1x (configs/_base_/schedules/
# cris_50e.py).
_base_ = ['./cris_tiny_4e.py']

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'text_encoder': dict(lr_mult=0.1),
            'positional_embedding': dict(lr_mult=1.0),
        }
    )
)
