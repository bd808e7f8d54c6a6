from .maskrcnn_bridge import PartMaskRCNNMetric
from .metrics import PartRefSegMetric, RefSegMetric

__all__ = ['RefSegMetric', 'PartRefSegMetric', 'PartMaskRCNNMetric']
