# RISCLIP-B (frozen CLIP ViT-B/16) on RefCOCO (UNC partition).
# Stage 1 of 2: CFE + SKE + patch grounding, 60k iterations at a total batch of 32
# (4 GPUs x 8), bf16 autocast. Stage 2 is risclip_vitb_refcoco.py; both in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco.py 4
# Every other RISCLIP config derives from this one: the input size is set here only.
_base_ = [
    '../_base_/models/risclip_vitb16.py',
    '../_base_/datasets/refcoco.py',
    '../_base_/schedules/risclip_stage1_60k.py',
]

img_size = 448
model = dict(data_preprocessor=dict(size=(img_size, img_size)))
# The dataset's pipelines, letterboxing to img_size.
train_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, size=img_size) if step['type'] == 'LetterBox' else step
    for step in _base_.test_pipeline
]
# 8 per GPU on 4 GPUs: the total batch of 32 the learning rate is set for.
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
