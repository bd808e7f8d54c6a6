# CRIS, CLIP RN50, on gRefCOCO (one, several or no target per expression): the RefCOCO
# recipe (cris_r50_refcoco.py) with a NoTargetHead beside the mask loss, which empties the
# mask of expressions it judges to have no target.
_base_ = [
    '../_base_/models/cris_r50_gres.py',
    '../_base_/datasets/grefcoco.py',
    '../_base_/schedules/cris_50e.py',
]
