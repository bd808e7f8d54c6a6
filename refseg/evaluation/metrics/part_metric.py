"""Referring segmentation metric with per-part-class numbers (PartImageNet)."""
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

from mmengine.logging import print_log
from prettytable import PrettyTable

from refseg.registry import METRICS
from .ref_seg_metric import RefSegMetric


def _official_part_table() -> Dict[int, Tuple[str, str]]:
    # Imported here: the datasets package pulls in the transforms and mmseg.
    from refseg.datasets.partimagenet import PARTIMAGENET_CATEGORIES
    return {cat_id: (name, superclass)
            for cat_id, name, superclass in PARTIMAGENET_CATEGORIES}


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

    Args:
        **kwargs: :class:`RefSegMetric` arguments.
    """

    def sample_record(self, data_sample: dict, intersection: int, union: int) -> dict:
        if data_sample.get('category_id') is None:
            raise KeyError(
                f'{type(self).__name__}: the expression {data_sample.get("text")!r} on '
                f'{data_sample.get("img_path")!r} has no "category_id" in its metainfo; '
                'add "category_id" to PackRefSegInputs(meta_keys=...)')
        record = super().sample_record(data_sample, intersection, union)
        record['category_id'] = int(data_sample['category_id'])
        return record

    def part_table(self) -> Dict[int, Tuple[str, str]]:
        """``category_id -> (class name, superclass)``, from the dataset's metainfo or
        else the official list."""
        meta = self.dataset_meta or {}
        if 'part_category_ids' in meta:
            return {cat_id: (name, superclass) for cat_id, name, superclass in zip(
                meta['part_category_ids'], meta['part_classes'], meta['part_superclasses'])}
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
            raise KeyError(f'{type(self).__name__}: category ids {unknown} are not among '
                           f'the known part classes {sorted(table)}')
        stats = []
        for cat_id in sorted(groups):
            records = groups[cat_id]
            intersection = sum(r['intersection'] for r in records)
            union = sum(r['union'] for r in records)
            name, superclass = table[cat_id]
            stats.append(dict(
                category_id=cat_id, name=name, superclass=superclass,
                num_samples=len(records), intersection=intersection, union=union,
                IoU=100 * self.sample_iou(intersection, union),
                mIoU=100 * sum(r['iou'] for r in records) / len(records)))
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
        self._last_part_stats = stats
        return metrics

    def log_summary(self, metrics: Dict[str, float]) -> None:
        overall = {k: v for k, v in metrics.items() if not k.startswith('mIoU_part/')}
        super().log_summary(overall)
        stats: Optional[List[dict]] = getattr(self, '_last_part_stats', None)
        if not stats:
            return
        table = PrettyTable(['id', 'part class', 'superclass', 'samples', 'IoU (cum.)',
                             'mIoU (per sample)'])
        for s in stats:
            table.add_row([s['category_id'], s['name'], s['superclass'], s['num_samples'],
                           f'{s["IoU"]:.2f}', f'{s["mIoU"]:.2f}'])
        superclass_table = PrettyTable(['superclass', 'mIoU_part'])
        for key, value in metrics.items():
            if key.startswith('mIoU_part/'):
                superclass_table.add_row([key.split('/', 1)[1], f'{value:.2f}'])
        print_log(
            f'{type(self).__name__}: per part class, IoU = cumulative I/U over the '
            f'class\'s samples; mIoU_part = {metrics["mIoU_part"]:.2f} is their mean over the '
            f'{len(stats)} classes present.\n{table.get_string()}\n'
            f'{superclass_table.get_string()}', logger='current')
