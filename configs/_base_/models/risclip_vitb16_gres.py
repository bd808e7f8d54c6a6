# RISCLIP-B (risclip_vitb16.py) for gRES: a NoTargetHead on the SKE patch features,
# trained in both stages, judges whether an expression has a target.
_base_ = ['./risclip_vitb16.py']

model = dict(no_target_head=dict(type='NoTargetHead', in_channels=512, text_channels=512))
