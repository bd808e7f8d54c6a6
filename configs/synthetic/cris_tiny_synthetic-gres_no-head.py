# cris_tiny_synthetic-gres.py without the NoTargetHead: "no target" only when the mask
# decoder, trained on the empty targets too, predicts nothing above its threshold.
_base_ = ['./cris_tiny_synthetic-gres.py']

model = dict(no_target_head=None)
