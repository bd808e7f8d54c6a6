# partimagenet_instance.py with the longer image side at 416 px (CRIS's letterbox) instead
# of 1333 x 800.
_base_ = ['./partimagenet_instance.py']

scale = (416, 416)
# partimagenet_instance.py's pipelines, resized to scale.
train_pipeline = [
    dict(step, scale=scale) if step['type'] == 'mmdet.Resize' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=scale) if step['type'] == 'mmdet.Resize' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
