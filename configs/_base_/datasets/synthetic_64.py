# synthetic.py letterboxed to 64 x 64 (the tiny RISCLIP's input: 8 x 8 patches of 8 px).
_base_ = ['./synthetic.py']

img_size = 64
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
