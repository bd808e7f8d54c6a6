# CRIS ablation (paper Table 1, "w/o contrastive"): the text-to-pixel projector is
# replaced by a plain classifier on the last multi-modal map (same x4 visual path, then
# a 1x1 conv to one logit) trained with the same binary cross-entropy; the authors
# describe it as "classifier + cross-entropy" (CRIS.pytorch issue #8).
_base_ = ['./cris_r50_refcoco.py']

model = dict(
    decode_head=dict(
        projector=dict(
            _delete_=True,
            type='ConvProjector',
            in_channels=512,
            channels=256,
            norm_cfg={{_base_.norm_cfg}},
        )
    )
)
