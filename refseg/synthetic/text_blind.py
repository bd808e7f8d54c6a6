"""Text-blind rules: what a referring split scores without reading the expression.

Each rule looks at an image's annotated objects only and answers the same mask for every
expression of that image:

- ``largest``: the object with the largest mask,
- ``centre``: the object whose mask centroid is nearest the image centre,
- ``all``: the union of all objects,
- ``random``: one object drawn at random per image (seeded by ``seed`` and the image id).

The masks are scored against each expression's referent with :class:`RefSegMetric`, as a
model's predictions would be, so the numbers sit beside model results.
:func:`text_blind_baselines` works on any split in the REFER layout (RefCOCO/+/g, the
synthetic world); :func:`gres_text_blind` on any split in the gRefCOCO layout, where the
rule ``empty`` (always "no target") joins and an expression's target is the union of its
objects, or empty.
"""

from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.fileio import join_path, load
from mmengine.utils import is_abs

from refseg.datasets.grefcoco import GRefCOCODataset
from refseg.datasets.refcoco import RefCOCODataset
from refseg.datasets.transforms import LoadRefMask
from refseg.datasets.transforms.loading import decode_mask_ann
from refseg.evaluation.metrics.ref_seg_metric import RefSegMetric

RULES = ('largest', 'centre', 'all', 'random')
GRES_RULES = ('empty', 'all', 'largest', 'centre', 'random')
GRES_METRIC_CFG = dict(gres=True, prec_rule='inclusive', prec_thresholds=(0.7, 0.8, 0.9))


def _object_masks(annotations: List[dict], height: int, width: int) -> List[np.ndarray]:
    masks = []
    for ann in annotations:
        try:
            masks.append(decode_mask_ann(ann['segmentation'], height, width).astype(bool))
        except ValueError:  # empty or malformed objects cannot be an answer
            continue
    return masks


def rule_masks(masks: List[np.ndarray], rng: np.random.Generator) -> Dict[str, np.ndarray]:
    """The answer of each rule for one image's (h, w) bool object masks."""
    height, width = masks[0].shape
    areas = [int(mask.sum()) for mask in masks]
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    distances = [np.linalg.norm(np.argwhere(mask).mean(0) - centre) for mask in masks]
    return dict(
        largest=masks[int(np.argmax(areas))],
        centre=masks[int(np.argmin(distances))],
        all=np.logical_or.reduce(masks),
        random=masks[int(rng.integers(len(masks)))],
    )


def text_blind_baselines(
    data_root: str,
    split: str = 'val',
    ann_file: str = 'refcoco/instances.json',
    split_file: str = 'refcoco/refs(unc).p',
    img_prefix: str = 'train2014/',
    seed: int = 0,
    metric_cfg: Optional[dict] = None,
) -> Dict[str, Dict[str, float]]:
    """Scores of the text-blind rules on every expression of a split.

    Args:
        data_root (str): Dataset root, as in the dataset configs.
        split (str): REFER split (``'val'``, ``'testA'``, ...). Defaults to 'val'.
        ann_file (str): COCO instances file, relative to ``data_root`` unless absolute.
        split_file (str): REFER refs pickle, relative to ``data_root`` unless absolute.
        img_prefix (str): Image folder under ``data_root`` (it must exist, as for training).
        seed (int): Seed of the ``random`` rule. Defaults to 0.
        metric_cfg (dict, optional): Arguments of :class:`RefSegMetric` (e.g.
            ``prec_thresholds``).

    Returns:
        dict: rule -> the metric values of :meth:`RefSegMetric.summarize` (``mIoU``,
        ``oIoU``, ``Prec@X`` in percent, ``num_samples``).
    """
    dataset = RefCOCODataset(
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        data_prefix=dict(img_path=img_prefix),
        split=split,
        sentence_mode='all',
        test_mode=True,
        serialize_data=False,
    )
    instances = load(ann_file if is_abs(ann_file) else join_path(data_root, ann_file))
    anns_of: Dict[int, List[dict]] = {}
    for ann in instances['annotations']:
        anns_of.setdefault(ann['image_id'], []).append(ann)

    metrics = {rule: RefSegMetric(**(metric_cfg or {})) for rule in RULES}
    # Refs come grouped by image, so only the current image's answers are kept; the seed
    # makes them the same if an image comes back.
    answered_image, answers = None, {}
    for index in range(len(dataset)):
        item = dataset.get_data_info(index)
        height, width, image_id = item['height'], item['width'], item['image_id']
        if image_id != answered_image:
            masks = _object_masks(anns_of[image_id], height, width)
            answers = rule_masks(masks, np.random.default_rng([seed, image_id]))
            answered_image = image_id
        gt = torch.from_numpy(decode_mask_ann(item['mask_ann'], height, width))[None]
        for rule, pred in answers.items():
            sample = dict(
                gt_sem_seg=dict(data=gt),
                pred_sem_seg=dict(data=torch.from_numpy(pred.astype(np.uint8))[None]),
                ref_id=item['ref_id'],
                sent_id=item['sent_id'],
                image_id=image_id,
                text=item['text'],
                img_path=item['img_path'],
            )
            metrics[rule].process(None, [sample])
    return {rule: metric.summarize(metric.results) for rule, metric in metrics.items()}


def gres_text_blind(
    data_root: str,
    split: str = 'val',
    ann_file: str = 'refcoco/instances.json',
    split_file: str = 'refcoco/grefs(unc).json',
    img_prefix: str = 'train2014/',
    seed: int = 0,
) -> Dict[str, Dict[str, float]]:
    """Scores of the gRES text-blind rules on every expression of a gRefCOCO-format split.

    Each rule of :data:`GRES_RULES` is scored by ``RefSegMetric(**GRES_METRIC_CFG)``
    against every expression's target. Images without a usable object answer empty for
    every rule. Crowd regions are not objects.

    Args:
        data_root (str): Dataset root, as in the dataset configs.
        split (str): gRefCOCO split (``'val'``, ``'testA'``, ...). Defaults to 'val'.
        ann_file (str): COCO instances file, relative to ``data_root`` unless absolute.
        split_file (str): gRefCOCO refs JSON, relative to ``data_root`` unless absolute.
        img_prefix (str): Image folder under ``data_root`` (it must exist, as for training).
        seed (int): Seed of the ``random`` rule. Defaults to 0.

    Returns:
        dict: rule -> the metric values of :meth:`RefSegMetric.summarize_gres` (``gIoU``,
        ``cIoU``, ``N-acc``, ``T-acc``, ``Prec@X`` in percent, ``num_samples``, ...).
    """
    dataset = GRefCOCODataset(
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        data_prefix=dict(img_path=img_prefix),
        split=split,
        sentence_mode='all',
        test_mode=True,
        serialize_data=False,
    )
    instances = load(ann_file if is_abs(ann_file) else join_path(data_root, ann_file))
    anns_of: Dict[int, List[dict]] = {}
    for ann in instances['annotations']:
        if not ann.get('iscrowd'):
            anns_of.setdefault(ann['image_id'], []).append(ann)
    metrics = {rule: RefSegMetric(**GRES_METRIC_CFG) for rule in GRES_RULES}
    load_mask = LoadRefMask()
    answered_image, answers = None, {}
    for index in range(len(dataset)):
        item = dataset.get_data_info(index)
        height, width, image_id = item['height'], item['width'], item['image_id']
        if image_id != answered_image:
            masks = _object_masks(anns_of.get(image_id, []), height, width)
            empty = np.zeros((height, width), bool)
            answers = (
                rule_masks(masks, np.random.default_rng([seed, image_id]))
                if masks
                else dict(all=empty, largest=empty, centre=empty, random=empty)
            )
            answers['empty'] = empty
            answered_image = image_id
        gt = torch.from_numpy(load_mask(dict(item))['gt_seg_map'])[None]
        for rule in GRES_RULES:
            pred = torch.from_numpy(answers[rule].astype(np.uint8))[None]
            metrics[rule].process(
                None,
                [
                    dict(
                        gt_sem_seg=dict(data=gt),
                        pred_sem_seg=dict(data=pred),
                        num_targets=item['num_targets'],
                        ref_id=item['ref_id'],
                        sent_id=item['sent_id'],
                        image_id=image_id,
                        text=item['text'],
                        img_path=item['img_path'],
                    )
                ],
            )
    return {rule: metric.summarize(metric.results) for rule, metric in metrics.items()}


def rule_table(
    results: Dict[str, Dict[str, float]], descriptions: Dict[str, str], keys: Sequence[str]
) -> str:
    """A Markdown table of text-blind rules: one row per rule of ``descriptions`` (in its
    order), one column per metric key (``-`` where a rule lacks it), then the number of
    expressions (``num_samples``)."""
    lines = [
        '| text-blind rule | ' + ' | '.join(keys) + ' | expressions |',
        '|---|' + '---:|' * (len(keys) + 1),
    ]
    for rule, description in descriptions.items():
        metrics = results[rule]
        cells = [f'{metrics[key]:.2f}' if key in metrics else '-' for key in keys]
        lines.append(f'| {description} | ' + ' | '.join(cells) + f' | {metrics["num_samples"]} |')
    return '\n'.join(lines)
