# Ablation of cris_r50_partimagenet.py: the expression is the bare part name ("tail",
# "side mirror") in training and evaluation, without the object or superclass words.
# Many parts share a name across superclasses (head, body, foot, tail), so the model has
# to find the part of whatever object the image shows.
# Evaluation as cris_r50_partimagenet_test-bare-part.py; training and validation too.
_base_ = ['./cris_r50_partimagenet_test-bare-part.py']
train_dataloader = dict(dataset=dict(templates='part', template_weights=None))
val_dataloader = dict(dataset=dict(templates='part'))
