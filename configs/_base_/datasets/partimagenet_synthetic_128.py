# partimagenet_synthetic.py for the tiny models of configs/synthetic/: letterboxed to
# 128 x 128, 16 images a batch, data_root from $PARTIMAGENET_SYNTHETIC_ROOT.
_base_ = ['./partimagenet_synthetic.py']

data_root = '{{$PARTIMAGENET_SYNTHETIC_ROOT:data/partimagenet_synthetic/}}'
img_size = 128
# partimagenet.py's keys without seg_map_path (the masks come from the annotation file).
meta_keys = tuple(key for key in _base_.meta_keys if key != 'seg_map_path')
train_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.test_pipeline
]
train_pipeline[-1] = dict(type='PackRefSegInputs', meta_keys=meta_keys)
test_pipeline[-1] = dict(type='PackRefSegInputs', meta_keys=meta_keys)
# Every batch full: the tiny CRIS's BatchNorm sees 16 images.
train_dataloader = dict(
    batch_size=16, drop_last=True, dataset=dict(data_root=data_root, pipeline=train_pipeline)
)
val_dataloader = dict(batch_size=16, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(data_root=data_root, pipeline=test_pipeline))
