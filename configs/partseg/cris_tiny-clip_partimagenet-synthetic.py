# cris_tiny_partimagenet-synthetic.py with both CLIP towers initialised from the tiny CLIP
# pretrained on the synthetic world's image-text pairs (configs/clip/
# clip_rn-tiny_synthetic.py, exported to OpenAI's layout with
# tools/model_converters/clip_refseg_to_openai.py), through the same CLIPPretrained path as
# OpenAI's RN50. Same towers as the random-init config, so only the initial weights differ.
_base_ = [
    '../_base_/models/cris_rn-tiny-clip_ctx17.py',
    '../_base_/datasets/partimagenet_synthetic_128.py',
    '../_base_/schedules/cris_tiny_12e_partimagenet.py',
]
