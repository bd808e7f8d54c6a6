# cris_tiny_partimagenet-synthetic.py with both CLIP towers initialised from the tiny CLIP
# pretrained on the synthetic world's image-text pairs (configs/clip/
# clip_rn-tiny_synthetic.py, exported to OpenAI's layout with
# tools/model_converters/clip_refseg_to_openai.py), through the same CLIPPretrained path as
# OpenAI's RN50, trained 40 epochs with a Dice term beside CRIS's BCE: the recipe of the
# synthetic study (tools/run_partseg_study.sh), chosen on val (docs/partimagenet.md).
_base_ = [
    # The main job's model (tiny CLIP towers, BCE + Dice), here at this dataset's 128 px.
    '../_base_/models/cris_rn-tiny-clip-dice_256.py',
    '../_base_/datasets/partimagenet_synthetic_128.py',
    '../_base_/schedules/cris_tiny-clip_40e_partimagenet.py',
]

# The Dice term: small parts (feet, side mirrors, bottle mouths) cover a few cells of the
# 1/4-resolution mask; BCE alone reached val mIoU_part 22.7 after 8 epochs, BCE + Dice 40.8.
img_size = _base_.img_size
model = dict(
    data_preprocessor=dict(size=(img_size, img_size)), backbone=dict(input_resolution=img_size)
)
