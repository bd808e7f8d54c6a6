# clip_rn-tiny.py with the image tower of the tiny RISCLIP (configs/_base_/models/
# risclip_tiny.py): a ViT with 8-px patches, width 64, 4 layers, at 96 x 96 input (12 x 12
# patches).
_base_ = ['./clip_rn-tiny.py']

model = dict(
    data_preprocessor=dict(size=(96, 96)),
    visual=dict(
        _delete_=True,
        type='CLIPVisionTransformer',
        input_resolution=96,
        patch_size=8,
        width=64,
        layers=4,
        heads=4,
        output_dim=64,
    ),
)
