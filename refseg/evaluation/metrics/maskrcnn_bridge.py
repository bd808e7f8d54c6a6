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
from typing import Any, Dict, List, Optional, Sequence, Set, Union

import torch
from mmengine.logging import print_log
from torch import Tensor

from refseg.registry import METRICS

from .part_metric import PartRefSegMetric


def instances_to_part_mask(
    masks: Tensor,
    labels: Tensor,
    scores: Tensor,
    query_labels: Union[int, Sequence[int]],
    score_thr: float,
    top1_fallback: bool,
) -> Tensor:
    """Merge the predicted instances of the classes answering one query into one mask.

    Args:
        masks (Tensor): (N, h, w) bool instance masks.
        labels (Tensor): (N,) class indices.
        scores (Tensor): (N,) confidences.
        query_labels (int | Sequence[int]): The class indices whose instances answer
            the query (one part class, or every detector class mapped to it).
        score_thr (float): Instances scoring at least this are merged.
        top1_fallback (bool): If no instance of these classes passes ``score_thr``,
            use the single best-scoring one (if any) instead of an empty mask.

    Returns:
        Tensor: (h, w) bool union.
    """
    if isinstance(query_labels, int):
        query_labels = [query_labels]
    of_class = torch.isin(labels, torch.as_tensor(list(query_labels), dtype=labels.dtype))
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

    Which detector classes answer a part query (image, part category ``c``):

    * no map (default): the detector's class named as ``c`` (a detector trained on the
      40 part classes; labels follow mmdet's ``CocoDataset`` numbering of the file);
    * ``object_class_map`` (detector class -> superclass, e.g. COCO ``dog`` ->
      ``Quadruped``): every class mapped to ``c``'s superclass, so that the part is
      answered with the whole detected object (an object detector has no parts);
    * ``part_class_map`` (detector class -> part category name, many to one, e.g.
      Pascal-Part ``dog:head`` -> ``Quadruped Head``): every class mapped to ``c``.

    With a map, labels index ``dataset_meta['classes']`` (the detector's classes). A
    category that no detector class answers is **unsupported**: its samples are left out
    of the summary and counted in ``num_unsupported`` (and named in a warning) rather than
    scored as empty predictions.

    Args:
        ann_file (str): The PartImageNet annotation file of the evaluated split (the
            same file the detector's ``CocoDataset`` reads).
        score_thr (float): Instances scoring at least this join the answer.
            Defaults to 0.5.
        top1_fallback (bool): When no instance of the answering classes passes
            ``score_thr``, use their best instance instead of an empty mask.
            Defaults to True.
        object_class_map (dict[str, str], optional): Detector class -> superclass.
        part_class_map (dict[str, str], optional): Detector class -> part category.
        **kwargs: :class:`PartRefSegMetric` arguments except ``threshold`` (instance
            masks are binary already).
    """

    def __init__(
        self,
        ann_file: str,
        score_thr: float = 0.5,
        top1_fallback: bool = True,
        object_class_map: Optional[Dict[str, str]] = None,
        part_class_map: Optional[Dict[str, str]] = None,
        **kwargs,
    ) -> None:
        if 'threshold' in kwargs:
            raise ValueError(
                f'{type(self).__name__}: threshold does not apply to instance '
                'masks; use score_thr to choose the instances'
            )
        super().__init__(**kwargs)
        if not 0 <= score_thr <= 1:
            raise ValueError(
                f'{type(self).__name__}: score_thr must be in [0, 1], got {score_thr!r}'
            )
        if object_class_map and part_class_map:
            raise ValueError(
                f'{type(self).__name__}: give object_class_map or part_class_map, not both'
            )
        # Imported here so that importing refseg.evaluation stays light.
        from refseg.datasets.partimagenet import load_part_annotations

        parts = load_part_annotations(ann_file)
        self.ann_file = ann_file
        self.score_thr = float(score_thr)
        self.top1_fallback = top1_fallback
        self.images = parts['images']
        self.categories = parts['categories']
        self.file_categories = parts['file_categories']
        self.object_class_map = dict(object_class_map or {})
        self.part_class_map = dict(part_class_map or {})
        self._check_map_targets()
        self.num_part_samples = len(parts['samples'])
        self.samples_by_image: Dict[int, List[dict]] = {}
        for ref_id, sample in enumerate(parts['samples']):
            self.samples_by_image.setdefault(sample['image_id'], []).append(
                dict(sample, ref_id=ref_id)
            )

    def _check_map_targets(self) -> None:
        if self.object_class_map:
            targets = {cat['supercategory'] for cat in self.categories}
            bad = {k: v for k, v in self.object_class_map.items() if v not in targets}
            what = 'superclasses'
        else:
            targets = {cat['name'] for cat in self.categories}
            bad = {k: v for k, v in self.part_class_map.items() if v not in targets}
            what = 'part categories'
        if bad:
            raise ValueError(
                f'{type(self).__name__}: class map entries {bad} do not name '
                f'{what} of {self.ann_file}; expected one of {sorted(targets)}'
            )

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
            raise KeyError(
                f'{type(self).__name__}: detector classes {missing} are not '
                f'categories of {self.ann_file}'
            )
        matched = [cat['id'] for cat in self.file_categories if cat['name'] in set(classes)]
        return dict(enumerate(matched))

    def query_labels(self) -> Dict[int, List[int]]:
        """Category id -> the detector class indices that answer its queries."""
        if not (self.object_class_map or self.part_class_map):
            answers: Dict[int, List[int]] = {}
            for label, cat_id in self.label_to_category().items():
                answers.setdefault(cat_id, []).append(label)
            return answers
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise KeyError(
                f"{type(self).__name__}: a class map needs the detector's "
                "class names in dataset_meta['classes']"
            )
        class_map = self.object_class_map or self.part_class_map
        unknown = sorted(set(class_map) - set(classes))
        if unknown:
            raise KeyError(
                f'{type(self).__name__}: class map keys {unknown} are not '
                f'detector classes {list(classes)}'
            )
        answers = {}
        for cat in self.categories:
            key = cat['supercategory'] if self.object_class_map else cat['name']
            labels = [label for label, name in enumerate(classes) if class_map.get(name) == key]
            if labels:
                answers[cat['id']] = labels
        return answers

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

        answers = self.query_labels()
        part_table = self.part_table()
        for data_sample in data_samples:
            image_id = data_sample['img_id']
            image = self.images.get(image_id)
            if image is None:
                raise KeyError(
                    f'{type(self).__name__}: image id {image_id} '
                    f'({data_sample.get("img_path")}) is not in {self.ann_file}'
                )
            height, width = int(image['height']), int(image['width'])
            pred = data_sample.get('pred_instances', {})
            if 'masks' not in pred:
                raise KeyError(
                    f'{type(self).__name__}: the prediction for '
                    f'{data_sample.get("img_path")} has no instance masks '
                    f'(keys {sorted(pred)}); is this a mask model?'
                )
            masks = pred['masks'].cpu()
            if tuple(masks.shape[-2:]) != (height, width):
                raise ValueError(
                    f'{type(self).__name__}: masks of {data_sample.get("img_path")} are '
                    f'{tuple(masks.shape[-2:])}, the annotation says ({height}, {width}); '
                    'test with rescale=True so that masks are at the original size'
                )
            labels, scores = pred['labels'].cpu(), pred['scores'].cpu()
            records, unsupported = [], []
            for sample in self.samples_by_image.get(image_id, []):
                query_labels = answers.get(sample['category_id'])
                if query_labels is None:
                    unsupported.append(sample['category_id'])
                    continue
                part_mask = instances_to_part_mask(
                    masks, labels, scores, query_labels, self.score_thr, self.top1_fallback
                )
                gt = torch.from_numpy(decode_mask_ann(sample['segmentation'], height, width)).bool()
                intersection, union = self.compute_overlap(part_mask, gt, torch.ones_like(gt))
                records.append(
                    self.sample_record(
                        dict(
                            ref_id=sample['ref_id'],
                            sent_id=sample['ref_id'],
                            image_id=image_id,
                            category_id=sample['category_id'],
                            text=part_table[sample['category_id']][0],
                            img_path=data_sample.get('img_path'),
                        ),
                        intersection,
                        union,
                    )
                )
            # One result per image: BaseMetric truncates results to the dataset length,
            # which counts images here.
            self.results.append(dict(image_id=image_id, records=records, unsupported=unsupported))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        records = [record for result in results for record in result['records']]
        unsupported: Set[int] = {cat for result in results for cat in result['unsupported']}
        num_unsupported = sum(len(result['unsupported']) for result in results)
        if self.object_class_map:
            answer = 'the union of the instances of the classes mapped to its superclass'
        elif self.part_class_map:
            answer = 'the union of the instances of the classes mapped to it'
        else:
            answer = 'the union of the instances of its class'
        print_log(
            f'{type(self).__name__}: each part sample is scored with {answer} '
            f'scoring >= {self.score_thr}'
            + (', else the best of those instances' if self.top1_fallback else ''),
            logger='current',
        )
        if unsupported:
            table = self.part_table()
            print_log(
                f'{type(self).__name__}: no detector class answers the part '
                f'categories {[table[c][0] for c in sorted(unsupported)]}: their '
                f'{num_unsupported} samples are unsupported, left out of the summary '
                '(num_unsupported)',
                logger='current',
                level=logging.WARNING,
            )
        scored = len(records) + num_unsupported
        if scored < self.num_part_samples:
            print_log(
                f'{type(self).__name__}: scored {scored} of the '
                f'{self.num_part_samples} part samples of {self.ann_file} (the '
                'evaluated images are a subset)',
                logger='current',
                level=logging.WARNING,
            )
        if not records:
            raise ValueError(
                f'{type(self).__name__}: no part sample of {self.ann_file} is '
                'answered by a detector class; check the class map'
            )
        metrics = super().compute_metrics(records)
        metrics['num_unsupported'] = num_unsupported
        return metrics
