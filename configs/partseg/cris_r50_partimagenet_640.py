# Resolution ablation: cris_r50_partimagenet.py with a 640 x 640 letterbox instead of 416
# (closer to Mask R-CNN's 1333 x 800 on PartImageNet's ~500 px images), everything else
# unchanged. Small parts (side mirrors, bottle mouths, feet) are a few pixels at 416 / 4.
_base_ = [
    '../_base_/models/cris_r50.py',
    '../_base_/datasets/partimagenet_640.py',
    '../_base_/schedules/cris_partimagenet_10e.py',
]

model = dict(data_preprocessor=dict(size=(640, 640)))
