from .metrics import PartMaskRCNNMetric, PartRefSegMetric, RefSegMetric

__all__ = ['RefSegMetric', 'PartRefSegMetric', 'PartMaskRCNNMetric']
