# Expression-form ablation at test time: the model trained by cris_r50_partimagenet.py
# evaluated with the superclass noun instead of the object name ("the tail of the
# animal"):
#   python tools/test.py configs/partseg/cris_r50_partimagenet_test-superclass.py CKPT
_base_ = ['./cris_r50_partimagenet.py']

test_dataloader = dict(dataset=dict(templates='part_of_superclass'))
