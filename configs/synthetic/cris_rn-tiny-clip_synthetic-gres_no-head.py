# cris_rn-tiny-clip_synthetic-gres.py without the NoTargetHead.
_base_ = ['./cris_rn-tiny-clip_synthetic-gres.py']

model = dict(no_target_head=None)
