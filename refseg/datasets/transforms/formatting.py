"""Packing of a referring sample into the model's inputs and a ``SegDataSample``."""

from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from refseg.registry import TRANSFORMS

# mmseg's PackSegInputs defaults, then the expression, its ids and the letterbox matrix.
DEFAULT_META_KEYS = (
    'img_path',
    'seg_map_path',
    'ori_shape',
    'img_shape',
    'pad_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'reduce_zero_label',
    'text',
    'ref_id',
    'sent_id',
    'ann_id',
    'image_id',
    'letterbox_matrix',
    'no_target',
    'num_targets',
)


@TRANSFORMS.register_module()
class PackRefSegInputs(BaseTransform):
    """Pack image, mask and metainfo like mmseg's ``PackSegInputs``, keeping soft masks.

    A float ``gt_seg_map`` (the soft target from ``LetterBox(soft_mask=True)``) is stored as
    float32; an integer one as int64, as mmseg does. Meta keys missing from the results are
    skipped, so the same packer serves letterboxed and ``mmseg.Resize`` pipelines.

    Required keys: ``img`` (H, W, 3) or (H, W). Optional: ``gt_seg_map`` (H, W), meta keys.

    Output: ``inputs`` (3, H, W) tensor of the image's dtype (uint8 from files) and
    ``data_samples``, a ``SegDataSample`` with ``gt_sem_seg`` PixelData (1, H, W) when a mask
    is present and the meta keys in its metainfo.

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's metainfo. Defaults to
            mmseg's defaults plus ``text, ref_id, sent_id, ann_id, image_id,
            letterbox_matrix`` and gRefCOCO's ``no_target, num_targets``.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        packed = dict()
        if 'img' in results:
            img = results['img']
            if img.ndim == 2:
                img = img[..., None]
            packed['inputs'] = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

        data_sample = SegDataSample()
        if 'gt_seg_map' in results:
            seg_map = results['gt_seg_map']
            if seg_map.ndim != 2:
                raise ValueError(
                    f'PackRefSegInputs expects a 2-D gt_seg_map, got shape '
                    f'{seg_map.shape} for {results.get("img_path")}'
                )
            dtype = np.float32 if np.issubdtype(seg_map.dtype, np.floating) else np.int64
            data_sample.gt_sem_seg = PixelData(
                data=torch.from_numpy(np.ascontiguousarray(seg_map[None], dtype=dtype))
            )
        data_sample.set_metainfo({key: results[key] for key in self.meta_keys if key in results})
        packed['data_samples'] = data_sample
        return packed

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
