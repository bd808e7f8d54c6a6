"""Score an instance segmenter (mmdet Mask R-CNN) with the referring part metric.

The detector predicts instances of the 40 part classes. For each referring sample
(image, part category) of the annotation file, the instances of that class scoring at
least ``score_thr`` are merged into one mask, which is scored against the union of the
category's annotations exactly as a referring model's mask is scored by
:class:`PartRefSegMetric`: same samples (same hygiene, same ``ref_id`` order), same
pixel counts, same summary.

The metric is an mmengine metric, so an mmdet config uses it next to ``CocoMetric``::

    custom_imports = dict(imports=['refseg.evaluation'], allow_failed_imports=False)
    val_evaluator = [
        dict(type='CocoMetric', ann_file=..., metric=['bbox', 'segm']),
        dict(type='refseg.PartMaskRCNNMetric', ann_file=..., score_thr=0.5)]

Nothing here imports mmdet: the metric reads ``DetDataSample.to_dict()`` outputs.
"""
import logging
from typing import Any, Dict, List, Sequence

import torch
from mmengine.logging import print_log
from torch import Tensor

from refseg.registry import METRICS
from .part_metric import PartRefSegMetric


def instances_to_part_mask(masks: Tensor, labels: Tensor, scores: Tensor, label: int,
                           score_thr: float, top1_fallback: bool) -> Tensor:
    """Merge the predicted instances of one class into one mask.

    Args:
        masks (Tensor): (N, h, w) bool instance masks.
        labels (Tensor): (N,) class indices.
        scores (Tensor): (N,) confidences.
        label (int): The class index to merge.
        score_thr (float): Instances scoring at least this are merged.
        top1_fallback (bool): If no instance of the class passes ``score_thr``, use
            its single best-scoring instance (if any) instead of an empty mask.

    Returns:
        Tensor: (h, w) bool union.
    """
    of_class = labels == label
    keep = of_class & (scores >= score_thr)
    if not keep.any() and top1_fallback and of_class.any():
        best = torch.where(of_class, scores, torch.full_like(scores, -1.0)).argmax()
        keep = torch.zeros_like(of_class)
        keep[best] = True
    if not keep.any():
        return torch.zeros(masks.shape[-2:], dtype=torch.bool, device=masks.device)
    return masks[keep].bool().any(dim=0)


@METRICS.register_module()
class PartMaskRCNNMetric(PartRefSegMetric):
    """:class:`PartRefSegMetric` for instance predictions (mmdet ``DetDataSample``).

    Args:
        ann_file (str): The PartImageNet annotation file of the evaluated split (the
            same file the detector's ``CocoDataset`` reads).
        score_thr (float): Instances scoring at least this join their class's mask.
            Defaults to 0.5.
        top1_fallback (bool): When no instance of a queried class passes
            ``score_thr``, use the class's best instance instead of an empty mask.
            Defaults to True.
        **kwargs: :class:`RefSegMetric` arguments except ``threshold`` (instance masks
            are binary already).
    """

    def __init__(self, ann_file: str, score_thr: float = 0.5, top1_fallback: bool = True,
                 **kwargs) -> None:
        if 'threshold' in kwargs:
            raise ValueError(f'{type(self).__name__}: threshold does not apply to instance '
                             'masks; use score_thr to choose the instances')
        super().__init__(**kwargs)
        if not 0 <= score_thr <= 1:
            raise ValueError(f'{type(self).__name__}: score_thr must be in [0, 1], '
                             f'got {score_thr!r}')
        # Imported here so that importing refseg.evaluation stays light.
        from refseg.datasets.partimagenet import load_part_annotations
        parts = load_part_annotations(ann_file)
        self.ann_file = ann_file
        self.score_thr = float(score_thr)
        self.top1_fallback = top1_fallback
        self.images = parts['images']
        self.categories = parts['categories']
        self.file_categories = parts['file_categories']
        self.num_part_samples = len(parts['samples'])
        self._undetectable = set()
        self.samples_by_image: Dict[int, List[dict]] = {}
        for ref_id, sample in enumerate(parts['samples']):
            self.samples_by_image.setdefault(sample['image_id'], []).append(
                dict(sample, ref_id=ref_id))

    def part_table(self) -> Dict[int, tuple]:
        return {cat['id']: (cat['name'], cat['supercategory']) for cat in self.categories}

    def label_to_category(self) -> Dict[int, int]:
        """Detector class index -> category id, as mmdet's ``CocoDataset`` assigns them.

        mmdet numbers the categories of the file (in file order) whose names are among
        ``dataset_meta['classes']``; without a dataset, every category in file order.
        """
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            return {label: cat['id'] for label, cat in enumerate(self.file_categories)}
        names = {cat['name'] for cat in self.file_categories}
        missing = [name for name in classes if name not in names]
        if missing:
            raise KeyError(f'{type(self).__name__}: detector classes {missing} are not '
                           f'categories of {self.ann_file}')
        matched = [cat['id'] for cat in self.file_categories if cat['name'] in set(classes)]
        return dict(enumerate(matched))

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score every part sample of each image; one result per image.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): ``DetDataSample.to_dict()`` outputs with
                ``img_id``, ``ori_shape`` and ``pred_instances`` holding ``masks``
                (N, h, w) at the original resolution, ``labels`` (N,) and ``scores``
                (N,).
        """
        from refseg.structures.coco_mask import decode_mask_ann
        category_to_label = {cat: label for label, cat in self.label_to_category().items()}
        part_table = self.part_table()
        for data_sample in data_samples:
            image_id = data_sample['img_id']
            image = self.images.get(image_id)
            if image is None:
                raise KeyError(f'{type(self).__name__}: image id {image_id} '
                               f'({data_sample.get("img_path")}) is not in {self.ann_file}')
            height, width = int(image['height']), int(image['width'])
            pred = data_sample.get('pred_instances', {})
            if 'masks' not in pred:
                raise KeyError(f'{type(self).__name__}: the prediction for '
                               f'{data_sample.get("img_path")} has no instance masks '
                               f'(keys {sorted(pred)}); is this a mask model?')
            masks = pred['masks'].cpu()
            if tuple(masks.shape[-2:]) != (height, width):
                raise ValueError(
                    f'{type(self).__name__}: masks of {data_sample.get("img_path")} are '
                    f'{tuple(masks.shape[-2:])}, the annotation says ({height}, {width}); '
                    'test with rescale=True so that masks are at the original size')
            labels, scores = pred['labels'].cpu(), pred['scores'].cpu()
            records = []
            for sample in self.samples_by_image.get(image_id, []):
                label = category_to_label.get(sample['category_id'])
                if label is None:
                    self._undetectable.add(sample['category_id'])
                    part_mask = torch.zeros((height, width), dtype=torch.bool)
                else:
                    part_mask = instances_to_part_mask(masks, labels, scores, label,
                                                       self.score_thr, self.top1_fallback)
                gt = torch.from_numpy(
                    decode_mask_ann(sample['segmentation'], height, width)).bool()
                intersection, union = self.compute_overlap(part_mask, gt,
                                                           torch.ones_like(gt))
                records.append(self.sample_record(
                    dict(ref_id=sample['ref_id'], sent_id=sample['ref_id'],
                         image_id=image_id, category_id=sample['category_id'],
                         text=part_table[sample['category_id']][0]),
                    intersection, union))
            # One result per image: BaseMetric truncates results to the dataset length,
            # which counts images here.
            self.results.append(dict(image_id=image_id, records=records))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        records = [record for result in results for record in result['records']]
        print_log(f'{type(self).__name__}: each part sample is scored with the union of '
                  f'the instances of its class scoring >= {self.score_thr}'
                  + (', else the best instance of the class' if self.top1_fallback else ''),
                  logger='current')
        if self._undetectable:
            print_log(f'{type(self).__name__}: the detector has no class for part '
                      f'categories {sorted(self._undetectable)}; their samples score an '
                      'empty prediction', logger='current', level=logging.WARNING)
        if len(records) < self.num_part_samples:
            print_log(f'{type(self).__name__}: scored {len(records)} of the '
                      f'{self.num_part_samples} part samples of {self.ann_file} (the '
                      'evaluated images are a subset)', logger='current', level=logging.WARNING)
        return super().compute_metrics(records)
