"""Referring segmentation metric with per-part-class numbers (PartImageNet)."""

from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log
from prettytable import PrettyTable
from pycocotools import mask as mask_utils
from torch import Tensor

from refseg.registry import METRICS

from .ref_seg_metric import RefSegMetric


def _official_part_table() -> Dict[int, Tuple[str, str]]:
    # Imported here: the datasets package pulls in the transforms and mmseg.
    from refseg.datasets.partimagenet import PARTIMAGENET_CATEGORIES

    return {cat_id: (name, superclass) for cat_id, name, superclass in PARTIMAGENET_CATEGORIES}


def encode_mask(mask: Tensor) -> dict:
    """A (h, w) bool mask as a JSON-ready COCO RLE (``counts`` as a str)."""
    rle = mask_utils.encode(np.asfortranarray(mask.cpu().numpy().astype(np.uint8)))
    return dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii'))


@METRICS.register_module()
class PartRefSegMetric(RefSegMetric):
    """``RefSegMetric`` plus per-part-class and per-superclass IoU.

    Every expression is scored as in :class:`RefSegMetric` (``mIoU``, ``oIoU``,
    ``Prec@X`` over all expressions). Expressions are then grouped by the part category
    of their target (``category_id`` in the metainfo) and, for part class ``c``:

    - ``IoU_c = sum_{i in c} I_i / sum_{i in c} U_i``: the **cumulative** IoU of the
      class, pooling pixels over its samples (the per-class IoU of semantic part
      segmentation, restricted to the images in which the part is present);
    - ``mIoU_part``: the mean of ``IoU_c`` over the part classes with at least one
      sample in the split (every class weighs the same however frequent it is);
    - ``mIoU_part/<Superclass>``: the mean of ``IoU_c`` over the present classes of that
      superclass.

    Only present parts are queried, so false positives on images that lack a part are
    never counted: these numbers are optimistic next to semantic-segmentation part mIoU.
    The per-class table (samples, cumulative IoU, mean of per-sample IoU) is logged.

    Class names and superclasses come from the dataset's metainfo
    (``part_category_ids``, ``part_classes``, ``part_superclasses``, set by
    ``PartImageNetRefDataset``) and otherwise from the 40 official PartImageNet
    categories.

    Every ``IoU_c`` also reaches the metrics dict as ``IoU_class/<class name>``, so that
    the logger and the vis backends record it.

    Args:
        save_masks (bool): Add each predicted mask to its record as a COCO RLE
            (``pred_rle``: ``size`` and ``counts`` string, at the ground truth's
            resolution), so that ``output_file`` holds the masks for qualitative
            figures (tools/analysis_tools/partseg_report.py). Defaults to False.
        **kwargs: :class:`RefSegMetric` arguments.
    """

    record_meta_keys = RefSegMetric.record_meta_keys + ('img_path',)

    def __init__(self, save_masks: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.save_masks = save_masks
        self._last_pred: Optional[Tensor] = None

    def compute_overlap(
        self, pred: Tensor, gt_foreground: Tensor, valid: Tensor
    ) -> Tuple[int, int]:
        # Kept for sample_record, which only receives the pixel counts.
        self._last_pred = pred & valid if self.save_masks else None
        return super().compute_overlap(pred, gt_foreground, valid)

    def sample_record(self, data_sample: dict, intersection: int, union: int) -> dict:
        if data_sample.get('category_id') is None:
            raise KeyError(
                f'{type(self).__name__}: the expression {data_sample.get("text")!r} on '
                f'{data_sample.get("img_path")!r} has no "category_id" in its metainfo; '
                'add "category_id" to PackRefSegInputs(meta_keys=...)'
            )
        record = super().sample_record(data_sample, intersection, union)
        record['category_id'] = int(data_sample['category_id'])
        if self.save_masks and self._last_pred is not None:
            record['pred_rle'] = encode_mask(self._last_pred)
        return record

    def part_table(self) -> Dict[int, Tuple[str, str]]:
        """``category_id -> (class name, superclass)``, from the dataset's metainfo or
        else the official list."""
        meta = self.dataset_meta or {}
        if 'part_category_ids' in meta:
            return {
                cat_id: (name, superclass)
                for cat_id, name, superclass in zip(
                    meta['part_category_ids'], meta['part_classes'], meta['part_superclasses']
                )
            }
        return _official_part_table()

    def part_class_stats(self, results: List[dict]) -> List[dict]:
        """Per part class present: pixel sums, cumulative IoU and mean per-sample IoU.

        Args:
            results (list[dict]): Records with ``category_id``, ``iou``,
                ``intersection`` and ``union``.

        Returns:
            list[dict]: Sorted by ``category_id``, each with ``category_id``, ``name``,
            ``superclass``, ``num_samples``, ``intersection``, ``union``, ``IoU``
            (cumulative, percent) and ``mIoU`` (mean of per-sample IoU, percent).
        """
        table = self.part_table()
        groups: Dict[int, List[dict]] = {}
        for record in results:
            groups.setdefault(record['category_id'], []).append(record)
        unknown = sorted(set(groups) - set(table))
        if unknown:
            raise KeyError(
                f'{type(self).__name__}: category ids {unknown} are not among '
                f'the known part classes {sorted(table)}'
            )
        stats = []
        for cat_id in sorted(groups):
            records = groups[cat_id]
            intersection = sum(r['intersection'] for r in records)
            union = sum(r['union'] for r in records)
            name, superclass = table[cat_id]
            stats.append(
                dict(
                    category_id=cat_id,
                    name=name,
                    superclass=superclass,
                    num_samples=len(records),
                    intersection=intersection,
                    union=union,
                    IoU=100 * self.sample_iou(intersection, union),
                    mIoU=100 * sum(r['iou'] for r in records) / len(records),
                )
            )
        return stats

    def summarize(self, results: List[dict]) -> Dict[str, float]:
        metrics = super().summarize(results)
        stats = self.part_class_stats(results)
        metrics['mIoU_part'] = sum(s['IoU'] for s in stats) / len(stats)
        by_superclass: Dict[str, List[float]] = OrderedDict()
        for s in stats:  # in category id order, so superclasses keep the official order
            by_superclass.setdefault(s['superclass'], []).append(s['IoU'])
        for superclass, ious in by_superclass.items():
            metrics[f'mIoU_part/{superclass}'] = sum(ious) / len(ious)
        for s in stats:
            metrics[f'IoU_class/{s["name"]}'] = s['IoU']
        self._last_part_stats = stats
        return metrics

    def log_summary(self, metrics: Dict[str, float]) -> None:
        overall = {
            k: v
            for k, v in metrics.items()
            if not k.startswith(('mIoU_part/', 'IoU_class/', 'num_unsupported'))
        }
        super().log_summary(overall)
        stats: Optional[List[dict]] = getattr(self, '_last_part_stats', None)
        if not stats:
            return
        table = PrettyTable(
            ['id', 'part class', 'superclass', 'samples', 'IoU (cum.)', 'mIoU (per sample)']
        )
        for s in stats:
            table.add_row(
                [
                    s['category_id'],
                    s['name'],
                    s['superclass'],
                    s['num_samples'],
                    f'{s["IoU"]:.2f}',
                    f'{s["mIoU"]:.2f}',
                ]
            )
        superclass_table = PrettyTable(['superclass', 'mIoU_part'])
        for key, value in metrics.items():
            if key.startswith('mIoU_part/'):
                superclass_table.add_row([key.split('/', 1)[1], f'{value:.2f}'])
        print_log(
            f'{type(self).__name__}: per part class, IoU = cumulative I/U over the '
            f"class's samples; mIoU_part = {metrics['mIoU_part']:.2f} is their mean over the "
            f'{len(stats)} classes present.\n{table.get_string()}\n'
            f'{superclass_table.get_string()}',
            logger='current',
        )
