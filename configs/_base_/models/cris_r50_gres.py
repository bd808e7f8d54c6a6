# CRIS RN50 (cris_r50.py) for gRES: a NoTargetHead beside the mask loss empties the mask
# of expressions it judges to have no target.
_base_ = ['./cris_r50.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=1024))
