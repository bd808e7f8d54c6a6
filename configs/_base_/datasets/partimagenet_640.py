# partimagenet.py letterboxed to 640 x 640 instead of 416.
_base_ = ['./partimagenet.py']

img_size = 640
train_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
