from .local_visualizer import RefSegLocalVisualizer, binary_mask

__all__ = ['RefSegLocalVisualizer', 'binary_mask']
