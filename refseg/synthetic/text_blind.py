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

from typing import Callable, Dict, List, Optional, Sequence

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


def object_masks(annotations: List[dict], height: int, width: int) -> List[np.ndarray]:
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


def annotations_by_image(
    data_root: str, ann_file: str, skip_crowd: bool = False
) -> Dict[int, List[dict]]:
    """The instances file's annotations grouped by image id."""
    instances = load(ann_file if is_abs(ann_file) else join_path(data_root, ann_file))
    anns_of: Dict[int, List[dict]] = {}
    for ann in instances['annotations']:
        if not (skip_crowd and ann.get('iscrowd')):
            anns_of.setdefault(ann['image_id'], []).append(ann)
    return anns_of


def _score_rules(
    dataset,
    rules: Sequence[str],
    answer: Callable[[dict], Dict[str, np.ndarray]],
    target: Callable[[dict], np.ndarray],
    metric_cfg: dict,
    extra_keys: Sequence[str] = (),
) -> Dict[str, Dict[str, float]]:
    """Score each rule's answer against every expression of ``dataset``.

    Args:
        dataset: A referring dataset in test mode (one item per sentence).
        rules (Sequence[str]): The rules to score, in the order of the result.
        answer (Callable): item -> {rule: (h, w) bool mask} for the item's image; called
            once per image.
        target (Callable): item -> the (h, w) ground-truth mask of its expression.
        metric_cfg (dict): Arguments of each rule's :class:`RefSegMetric`.
        extra_keys (Sequence[str]): Item fields the metric also reads.

    Returns:
        dict: rule -> the metric's summary.
    """
    metrics = {rule: RefSegMetric(**metric_cfg) for rule in rules}
    # Refs come grouped by image, so only the current image's answers are kept; the seeded
    # rules give the same answers if an image comes back.
    answered_image, answers = None, {}
    for index in range(len(dataset)):
        item = dataset.get_data_info(index)
        if item['image_id'] != answered_image:
            answers = answer(item)
            answered_image = item['image_id']
        gt = torch.from_numpy(target(item))[None]
        for rule in rules:
            sample = dict(
                gt_sem_seg=dict(data=gt),
                pred_sem_seg=dict(data=torch.from_numpy(answers[rule].astype(np.uint8))[None]),
                ref_id=item['ref_id'],
                sent_id=item['sent_id'],
                image_id=item['image_id'],
                text=item['text'],
                img_path=item['img_path'],
                **{key: item[key] for key in extra_keys},
            )
            metrics[rule].process(None, [sample])
    return {rule: metric.summarize(metric.results) for rule, metric in metrics.items()}


def _every_sentence(dataset_class, data_root, ann_file, split_file, img_prefix, split):
    """The split in test mode, one item per sentence, as the rules score it."""
    return dataset_class(
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        data_prefix=dict(img_path=img_prefix),
        split=split,
        sentence_mode='all',
        test_mode=True,
        serialize_data=False,
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
    dataset = _every_sentence(RefCOCODataset, data_root, ann_file, split_file, img_prefix, split)
    anns_of = annotations_by_image(data_root, ann_file)

    def answer(item: dict) -> Dict[str, np.ndarray]:
        image_id = item['image_id']
        masks = object_masks(anns_of[image_id], item['height'], item['width'])
        return rule_masks(masks, np.random.default_rng([seed, image_id]))

    def target(item: dict) -> np.ndarray:
        return decode_mask_ann(item['mask_ann'], item['height'], item['width'])

    return _score_rules(dataset, RULES, answer, target, metric_cfg or {})


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
    dataset = _every_sentence(GRefCOCODataset, data_root, ann_file, split_file, img_prefix, split)
    anns_of = annotations_by_image(data_root, ann_file, skip_crowd=True)
    load_mask = LoadRefMask()

    def answer(item: dict) -> Dict[str, np.ndarray]:
        image_id, height, width = item['image_id'], item['height'], item['width']
        masks = object_masks(anns_of.get(image_id, []), height, width)
        empty = np.zeros((height, width), bool)
        answers = (
            rule_masks(masks, np.random.default_rng([seed, image_id]))
            if masks
            else dict(all=empty, largest=empty, centre=empty, random=empty)
        )
        answers['empty'] = empty
        return answers

    def target(item: dict) -> np.ndarray:
        return load_mask(dict(item))['gt_seg_map']

    return _score_rules(
        dataset, GRES_RULES, answer, target, GRES_METRIC_CFG, extra_keys=('num_targets',)
    )


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
