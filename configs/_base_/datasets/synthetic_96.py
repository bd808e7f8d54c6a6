# synthetic.py letterboxed to 96 x 96: the tiny CLIP ViT's input (12 x 12 patches of 8 px),
# and CRIS on the gRES split.
_base_ = ['./synthetic.py']

img_size = 96
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
