from .coco_mask import compact_mask_ann, decode_mask_ann, mask_ann_problem, mask_ann_to_rle
from .letterbox import letterbox_matrix, warp_to_original

__all__ = [
    'compact_mask_ann',
    'decode_mask_ann',
    'mask_ann_problem',
    'mask_ann_to_rle',
    'letterbox_matrix',
    'warp_to_original',
]
