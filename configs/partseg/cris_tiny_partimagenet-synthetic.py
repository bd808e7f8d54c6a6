# Demo: the tiny, randomly initialised CRIS of configs/synthetic/cris_tiny_synthetic.py
# trained from scratch on the generated PartImageNet look-alike, with the part dataset,
# templates and metric of the real PartImageNet configs. Minutes on a CPU:
#   python tools/dataset_converters/generate_partimagenet.py data/partimagenet_synthetic \
#       --num-images 330 44 44
#   python tools/train.py configs/partseg/cris_tiny_partimagenet-synthetic.py
_base_ = [
    '../_base_/models/cris_tiny_ctx17.py',
    '../_base_/datasets/partimagenet_synthetic_128.py',
    '../_base_/schedules/cris_tiny_12e_partimagenet.py',
]
