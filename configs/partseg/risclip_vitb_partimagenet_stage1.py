# RISCLIP-B (frozen CLIP ViT-B/16) for part-granularity referring segmentation on
# PartImageNet (Seg release), stage 1 of 2: CFE + SKE + patch grounding. Same data,
# templates and metric as cris_r50_partimagenet.py, at RISCLIP's 448x448 input.
# RISCLIP's recipe (AdamW 5e-5 at a total batch of 32 = 4 GPUs x 8, warm-up + poly, bf16)
# shortened to 24k iterations: about 10 epochs of the roughly 77k training samples (an
# estimate until tools/dataset_converters/check_partimagenet.py has counted the real
# files). Stage 2 is risclip_vitb_partimagenet.py; both in a row:
#   bash tools/train_two_stage.sh configs/partseg/risclip_vitb_partimagenet.py 4
_base_ = [
    '../_base_/models/risclip_vitb16.py',
    '../_base_/datasets/partimagenet_448.py',
    '../_base_/schedules/risclip_stage1_24k.py',
]
