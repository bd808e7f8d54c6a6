from .letterbox import letterbox_matrix, warp_to_original

__all__ = ['letterbox_matrix', 'warp_to_original']
