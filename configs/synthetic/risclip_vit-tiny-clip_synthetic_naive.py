# Naive baseline on the frozen pretrained tiny CLIP: its own patch-sentence cosine map as
# grounding (exp(s_hat) cos + b), the same light decoder, no CFE and no SKE, trained in
# one stage for as many iterations as RISCLIP's two stages. Without any training (the
# "zero-shot" row) the map alone is scored by tools/analysis_tools/zero_shot_grounding.py.
_base_ = [
    '../_base_/models/risclip_vit-tiny-clip_naive.py',
    '../_base_/datasets/synthetic_96.py',
    '../_base_/schedules/risclip_tiny_300i.py',
]
