# RISCLIP-B "lite": risclip_vitb16.py with CFE-X attending in a 256-wide shared space
# (instead of 512) and 3 SKE layers (instead of 6), the lighter setting of the RISCLIP
# spec's trainable-parameter table.
_base_ = ['./risclip_vitb16.py']

model = dict(cfe=dict(shared_dims=256), ske=dict(num_layers=3))
