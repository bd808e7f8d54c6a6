"""CRIS's letterbox: keep the aspect ratio, scale into a square and pad, by one affine warp."""

from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from refseg.registry import TRANSFORMS
from refseg.structures.letterbox import letterbox_matrix

CLIP_MEAN_RGB = (122.7709, 116.7460, 104.0937)

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}


def _interpolation_flag(name: str, arg: str) -> int:
    if name not in INTERPOLATIONS:
        raise ValueError(f'LetterBox: {arg}={name!r} is not one of {sorted(INTERPOLATIONS)}')
    return INTERPOLATIONS[name]


@TRANSFORMS.register_module()
class LetterBox(BaseTransform):
    """Scale the image into a ``size`` x ``size`` square, keeping its aspect ratio, and pad.

    The warp is ``cv2.warpAffine`` with the matrix of
    :func:`refseg.structures.letterbox.letterbox_matrix` (original pixel index -> network pixel
    index, offsets may be fractional), as in CRIS. The matrix travels in the results so that
    predictions can be warped back onto the original pixels for scoring.

    Required keys: ``img`` (h, w, 3) BGR as loaded by ``LoadImageFromFile``.
    Optional keys: ``seg_fields`` and the maps they name.

    Modified keys: ``img`` (S, S, 3), ``img_shape`` = (S, S), every map in ``seg_fields``.
    Added keys: ``letterbox_matrix`` (2, 3) float64 original -> network.

    Args:
        size (int): Side S of the square output. Defaults to 416.
        pad_val (Sequence[float]): Border colour in **RGB** order; defaults to CLIP's mean
            pixel, which the data preprocessor normalises to about 0. The image is BGR here,
            so the border is filled with the reversed tuple.
        interpolation (str): Image interpolation. Defaults to 'bicubic' (CRIS).
        seg_interpolation (str): Interpolation of the maps in ``seg_fields``. Defaults to
            'bilinear' (CRIS), which gives soft object borders.
        soft_mask (bool): Keep warped masks as float32 in [0, 1] (CRIS's soft targets). When
            False they are rounded back to their own dtype. Defaults to True.
    """

    def __init__(
        self,
        size: int = 416,
        pad_val: Sequence[float] = CLIP_MEAN_RGB,
        interpolation: str = 'bicubic',
        seg_interpolation: str = 'bilinear',
        soft_mask: bool = True,
    ) -> None:
        if int(size) != size or size <= 0:
            raise ValueError(f'LetterBox: size must be a positive int, got {size!r}')
        if len(pad_val) != 3:
            raise ValueError(f'LetterBox: pad_val must be 3 RGB values, got {pad_val!r}')
        self.size = int(size)
        self.pad_val = tuple(float(v) for v in pad_val)
        self.interpolation = interpolation
        self.seg_interpolation = seg_interpolation
        self._img_flag = _interpolation_flag(interpolation, 'interpolation')
        self._seg_flag = _interpolation_flag(seg_interpolation, 'seg_interpolation')
        self.soft_mask = soft_mask

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f'LetterBox expects an (h, w, 3) image, got shape {img.shape} '
                f'from {results.get("img_path")}'
            )
        height, width = img.shape[:2]
        matrix = letterbox_matrix(height, width, self.size)
        out_size = (self.size, self.size)
        results['img'] = cv2.warpAffine(
            img,
            matrix,
            out_size,
            flags=self._img_flag,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=self.pad_val[::-1],
        )
        for key in results.get('seg_fields', []):
            results[key] = self._warp_map(results[key], matrix, key)
        results['img_shape'] = out_size
        results['letterbox_matrix'] = matrix
        return results

    def _warp_map(self, seg_map: np.ndarray, matrix: np.ndarray, key: str) -> np.ndarray:
        if self.soft_mask and seg_map.max(initial=0) > 1:
            raise ValueError(
                f'LetterBox(soft_mask=True) needs binary masks in [0, 1], but '
                f'{key} has values up to {seg_map.max()}'
            )
        warped = cv2.warpAffine(
            seg_map.astype(np.float32),
            matrix,
            (self.size, self.size),
            flags=self._seg_flag,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        if self.soft_mask:
            # bicubic/lanczos overshoot; a soft target must stay a probability.
            return np.clip(warped, 0.0, 1.0)
        return np.rint(warped).astype(seg_map.dtype)

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(size={self.size}, pad_val={self.pad_val}, '
            f'interpolation={self.interpolation!r}, '
            f'seg_interpolation={self.seg_interpolation!r}, soft_mask={self.soft_mask})'
        )
