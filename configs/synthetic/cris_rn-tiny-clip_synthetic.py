# The README's main job: a tiny CRIS at 256 x 256 (configs/_base_/models/
# cris_tiny-dice_256.py) with both CLIP towers initialised from the tiny CLIP pretrained on
# the synthetic world's image-text pairs (configs/clip/clip_rn-tiny_synthetic.py, exported
# to OpenAI's layout), through the same CLIPPretrained path as OpenAI's RN50, fine-tuned
# with CRIS's recipe in miniature: Adam, both towers at 0.1x the lr, 4 epochs of the 2412
# training referents (600 iterations of 16), the lr divided by 10 for the last one.
# tools/run_synthetic.sh pretrains (or reuses) the CLIP, then trains and evaluates this:
#   bash tools/run_synthetic.sh
_base_ = [
    '../_base_/models/cris_rn-tiny-clip-dice_256.py',
    '../_base_/datasets/synthetic_256.py',
    '../_base_/schedules/cris_tiny-clip_4e.py',
]

# Also save at the first epoch end 3 minutes after the last save: a kill loses little work.
default_hooks = dict(checkpoint=dict(interval_minutes=3))
