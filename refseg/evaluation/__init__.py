from .metrics import PartMaskRCNNMetric, PartRefSegMetric, RefSegMetric, RetrievalMetric

__all__ = ['RefSegMetric', 'PartRefSegMetric', 'PartMaskRCNNMetric', 'RetrievalMetric']
