from .maskrcnn_bridge import PartMaskRCNNMetric
from .part_metric import PartRefSegMetric
from .ref_seg_metric import RefSegMetric
from .retrieval_metric import RetrievalMetric

__all__ = ['RefSegMetric', 'PartRefSegMetric', 'PartMaskRCNNMetric', 'RetrievalMetric']
