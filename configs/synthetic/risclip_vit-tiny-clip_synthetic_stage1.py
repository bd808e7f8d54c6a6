# Tiny RISCLIP stage 1 (CFE + SKE + patch grounding) on the frozen tiny CLIP ViT and text
# transformer pretrained on the synthetic world's image-text pairs
# (configs/clip/clip_vit-tiny_synthetic.py, exported to OpenAI's layout), loaded through
# CLIPPretrained as RISCLIP loads OpenAI's ViT-B/16. Stage 2: risclip_vit-tiny-clip_synthetic.py;
# naive cosine baseline: risclip_vit-tiny-clip_synthetic_naive.py.
#   bash tools/run_synthetic.sh risclip
_base_ = [
    '../_base_/models/risclip_vit-tiny-clip.py',
    '../_base_/datasets/synthetic_96.py',
    '../_base_/schedules/risclip_tiny_200i.py',
]
