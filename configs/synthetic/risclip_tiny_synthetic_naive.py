# Naive baseline for the tiny RISCLIP: the same frozen random "CLIP", its own
# patch-sentence cosine map as grounding (exp(s_hat) cos + b), the same light decoder, no
# CFE and no SKE. One stage: decoder and grounding scale/bias together, as many
# iterations as stage 1 + stage 2 of the full model.
#   python tools/train.py configs/synthetic/risclip_tiny_synthetic_naive.py
_base_ = [
    '../_base_/models/risclip_tiny_naive.py',
    '../_base_/datasets/synthetic_64.py',
    '../_base_/schedules/risclip_tiny_1000i.py',
]
