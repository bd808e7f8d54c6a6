# A tiny RISCLIP, stage 1 (CFE + SKE + patch grounding), trained on the built-in synthetic
# referring dataset. Same components and code path as configs/risclip/, shrunk so that it
# runs in minutes on 2 CPU cores. The frozen "CLIP" is a tiny RANDOM ViT and text
# transformer (no CLIP weights exist here): everything the model learns about language and
# shapes is learnt by the adapters, so this checks the machinery, not CLIP's knowledge.
# Stage 2: risclip_tiny_synthetic.py; baseline without CFE/SKE: risclip_tiny_synthetic_naive.py.
#   bash tools/train_two_stage.sh configs/synthetic/risclip_tiny_synthetic.py 1
_base_ = [
    '../_base_/models/risclip_tiny.py',
    '../_base_/datasets/synthetic_64.py',
    '../_base_/schedules/risclip_tiny_600i.py',
]
