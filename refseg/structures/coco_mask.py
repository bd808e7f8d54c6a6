"""COCO mask annotations (polygons or RLE): validation, compaction and decoding.

Shared by the datasets, the ``LoadRefMask`` transform, the metrics and the tools."""

from typing import List, Optional, Union

import numpy as np
import pycocotools.mask as mask_utils

MaskAnn = Union[list, dict]


def _compressed_counts(counts: Union[str, bytes]) -> Optional[List[int]]:
    """Run lengths of a COCO compressed RLE string (pycocotools' ``rleFrString`` format).

    Each run is a little-endian series of 5-bit groups stored as ``chr(48 + group)``, with
    bit 0x20 flagging a continuation and bit 0x10 of the last group the sign; from the
    third run on, the value is a difference to the run two places before.
    """
    codes = counts.encode('ascii') if isinstance(counts, str) else bytes(counts)
    runs: List[int] = []
    pos = 0
    while pos < len(codes):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(codes):
                return None
            group = codes[pos] - 48
            value |= (group & 0x1F) << shift
            more = bool(group & 0x20)
            pos += 1
            shift += 5
            if not more and group & 0x10:
                value |= -1 << shift
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def _format_problem(mask_ann: MaskAnn, height: int, width: int) -> Optional[str]:
    """Say what is wrong with the structure of a COCO segmentation, if anything."""
    if isinstance(mask_ann, list):
        if not mask_ann:
            return 'the polygon list is empty'
        for part, polygon in enumerate(mask_ann):
            if not isinstance(polygon, (list, tuple)):
                return f'polygon {part} is a {type(polygon).__name__}, not a list of coordinates'
            # pycocotools needs at least a triangle given as x, y pairs.
            if len(polygon) < 6 or len(polygon) % 2:
                return (
                    f'polygon {part} has {len(polygon)} coordinates; expected an even '
                    'number, at least 6 (3 points)'
                )
        return None
    if isinstance(mask_ann, dict):
        if 'size' not in mask_ann or 'counts' not in mask_ann:
            return f'the RLE has keys {sorted(mask_ann)}; expected "size" and "counts"'
        size = [int(v) for v in mask_ann['size']]
        if size != [height, width]:
            return f'the RLE size is {size} but the image is [{height}, {width}]'
        counts = mask_ann['counts']
        if isinstance(counts, (str, bytes)):
            # pycocotools does not bound-check compressed counts, so check them here.
            counts = _compressed_counts(counts)
            if counts is None:
                return 'the compressed RLE counts string is truncated'
        elif not isinstance(counts, list):
            return f'the RLE counts are a {type(counts).__name__}, expected str, bytes or list'
        if any(run < 0 for run in counts) or sum(counts) != height * width:
            return (
                f'the RLE runs sum to {sum(counts)} (or a run is negative), expected '
                f'height * width = {height * width}'
            )
        return None
    return f'the segmentation is a {type(mask_ann).__name__}, expected a polygon list or RLE dict'


def mask_ann_to_rle(mask_ann: MaskAnn, height: int, width: int) -> dict:
    """Compressed RLE of a well-formed segmentation (polygon parts merged)."""
    if isinstance(mask_ann, list):
        return mask_utils.merge(mask_utils.frPyObjects(mask_ann, height, width))
    counts = mask_ann['counts']
    if isinstance(counts, list):
        return mask_utils.frPyObjects(mask_ann, height, width)
    return dict(
        size=[height, width], counts=counts.encode('ascii') if isinstance(counts, str) else counts
    )


def mask_ann_problem(mask_ann: MaskAnn, height: int, width: int) -> Optional[str]:
    """Say what is wrong with a COCO segmentation, if anything.

    Args:
        mask_ann (list | dict): A polygon list (``[[x0, y0, x1, y1, ...], ...]``) or an RLE
            dict (``{'size': [h, w], 'counts': str | bytes | list[int]}``).
        height (int): Height of the image the annotation belongs to.
        width (int): Width of the image the annotation belongs to.

    Returns:
        str | None: A description of the problem (malformed, or an empty mask), or None
        when the annotation decodes to a non-empty mask.
    """
    problem = _format_problem(mask_ann, height, width)
    if problem is None and mask_utils.area(mask_ann_to_rle(mask_ann, height, width)) == 0:
        problem = 'the mask is empty (zero area inside the image)'
    return problem


def compact_mask_ann(mask_ann: MaskAnn, height: int, width: int) -> MaskAnn:
    """Return the annotation in its smallest equivalent form.

    Uncompressed RLEs (COCO's crowd annotations, a list of run lengths) become compressed
    RLEs with byte counts; polygons and compressed RLEs are returned unchanged.
    """
    if isinstance(mask_ann, dict) and isinstance(mask_ann['counts'], list):
        return mask_utils.frPyObjects(mask_ann, height, width)
    return mask_ann


def decode_mask_ann(mask_ann: MaskAnn, height: int, width: int) -> np.ndarray:
    """Decode a COCO segmentation to a binary mask.

    Args:
        mask_ann (list | dict): Polygon list or RLE dict, see :func:`mask_ann_problem`.
        height (int): Image height h.
        width (int): Image width w.

    Returns:
        np.ndarray: (h, w) uint8 mask in {0, 1}, the union of all polygon parts.

    Raises:
        ValueError: If the annotation is malformed or its mask is empty.
    """
    problem = _format_problem(mask_ann, height, width)
    if problem is not None:
        raise ValueError(problem)
    mask = mask_utils.decode(mask_ann_to_rle(mask_ann, height, width)).astype(np.uint8)
    if not mask.any():
        raise ValueError('the mask is empty (zero area inside the image)')
    return mask
