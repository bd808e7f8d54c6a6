# synthetic.py letterboxed to 256 x 256, the input of the main job's tiny CRIS (the
# world's shapes span 7-35 px there).
_base_ = ['./synthetic.py']

img_size = 256
train_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.test_pipeline
]
# Every batch full: the tiny CRIS's BatchNorm sees 16 images.
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
