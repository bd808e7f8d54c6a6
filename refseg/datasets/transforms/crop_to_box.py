"""Crop an image to a box carried in the results (an object's view for pretraining)."""

import numpy as np
from mmcv.transforms import BaseTransform

from refseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CropToBox(BaseTransform):
    """Crop ``img`` to ``crop_bbox`` = [x, y, w, h] (pixels), clipped to the image.

    Results without a box (``crop_bbox`` None or absent) pass unchanged, so whole-image
    and object views share one pipeline.

    Required keys: ``img`` (h, w, 3). Optional: ``crop_bbox``.
    Modified keys: ``img``, ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        box = results.get('crop_bbox')
        if box is None:
            return results
        img = results['img']
        height, width = img.shape[:2]
        x, y, w, h = box
        left, top = max(int(np.floor(x)), 0), max(int(np.floor(y)), 0)
        right, bottom = min(int(np.ceil(x + w)), width), min(int(np.ceil(y + h)), height)
        if right <= left or bottom <= top:
            raise ValueError(
                f'CropToBox: box {box} lies outside the {width}x{height} image '
                f'{results.get("img_path")}'
            )
        results['img'] = img[top:bottom, left:right]
        results['img_shape'] = results['img'].shape[:2]
        return results
