"""Loading of the referent's mask."""

import numpy as np
from mmcv.transforms import BaseTransform

from refseg.registry import TRANSFORMS
from refseg.structures.coco_mask import decode_mask_ann


@TRANSFORMS.register_module()
class LoadRefMask(BaseTransform):
    """Decode the referent's COCO segmentation into ``gt_seg_map``.

    Required keys: ``mask_ann``, ``height``, ``width``; ``ori_shape`` is checked against
    ``(height, width)`` when an image was loaded before. A true ``no_target`` (gRefCOCO's
    expressions without a referent) gives an all-zero mask without reading ``mask_ann``.

    Added keys: ``gt_seg_map`` ((h, w) uint8 in {0, 1}); ``'gt_seg_map'`` is appended to
    ``seg_fields`` so that geometric transforms warp it with the image.
    """

    def transform(self, results: dict) -> dict:
        height, width = int(results['height']), int(results['width'])
        ori_shape = results.get('ori_shape')
        if ori_shape is not None and tuple(ori_shape[:2]) != (height, width):
            # The mask would be decoded at the wrong size and silently misaligned.
            raise ValueError(
                f'image {results.get("img_path")} is {ori_shape[0]}x{ori_shape[1]} but its '
                f'annotation says height={height}, width={width}'
            )
        if results.get('no_target'):
            # A gRefCOCO expression that names nothing: its target is the empty mask.
            mask = np.zeros((height, width), dtype=np.uint8)
        else:
            try:
                mask = decode_mask_ann(results['mask_ann'], height, width)
            except ValueError as err:
                raise ValueError(
                    f'invalid mask_ann of ann_id={results.get("ann_id")} '
                    f'(ref_id={results.get("ref_id")}): {err}'
                ) from None
        results['gt_seg_map'] = mask
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')
        return results
