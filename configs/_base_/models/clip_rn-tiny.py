# A tiny CLIP for contrastive pretraining (CLIPPretrainer): the image tower of the tiny CRIS
# (configs/_base_/models/cris_tiny.py) with OpenAI's pooled attention pool, and a 2-layer
# text transformer, at 64 x 64 input.
context_length = 40  # the longest synthetic scene captions have 36 tokens

model = dict(
    type='CLIPPretrainer',
    data_preprocessor=dict(
        type='mmseg.SegDataPreProcessor',
        mean=[122.7709, 116.7460, 104.0937],
        std=[68.5005, 66.6322, 70.3232],
        bgr_to_rgb=True,
        size=(64, 64),  # the letterbox size of the dataset pipeline
    ),
    context_length=context_length,
    visual=dict(
        type='CLIPResNet',
        layers=(1, 1, 1, 1),
        width=16,
        heads=2,
        input_resolution=64,
        output_dim=64,
        dense_attnpool=False,
        out_indices=(4,),
    ),
    text_encoder=dict(
        type='CLIPTextTransformer',
        context_length=context_length,
        width=64,
        layers=2,
        heads=4,
        embed_dim=64,
    ),
)
