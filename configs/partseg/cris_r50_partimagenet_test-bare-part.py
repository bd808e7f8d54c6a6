# Expression-form ablation at test time: the model trained by cris_r50_partimagenet.py
# (template mix) evaluated with bare part names ("tail"), as the proposal asks:
#   python tools/test.py configs/partseg/cris_r50_partimagenet_test-bare-part.py CKPT
_base_ = ['./cris_r50_partimagenet.py']

test_dataloader = dict(dataset=dict(templates='part'))
