from .maskrcnn_bridge import PartMaskRCNNMetric
from .metrics import PartRefSegMetric, RefSegMetric, RetrievalMetric

__all__ = ['RefSegMetric', 'PartRefSegMetric', 'PartMaskRCNNMetric', 'RetrievalMetric']
