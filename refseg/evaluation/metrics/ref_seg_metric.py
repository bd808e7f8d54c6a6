"""Referring segmentation metric: mIoU, oIoU and Prec@X over expressions; gRefCOCO's gIoU,
cIoU, N-acc and T-acc in ``gres`` mode."""

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import mmengine
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from prettytable import PrettyTable
from torch import Tensor

from refseg.registry import METRICS

IGNORE_INDEX = 255
PREC_RULES = ('strict', 'inclusive')
EMPTY_TARGET_RULES = ('zero', 'one')
NT_ACC_RULES = ('paper', 'rela_code')
# Expression kinds of the gres breakdown: by the number of targets (num_targets in the
# metainfo), or 'target' when only the ground truth's emptiness is known.
GRES_KINDS = ('single', 'multi', 'target', 'none')


@METRICS.register_module()
class RefSegMetric(BaseMetric):
    """Scores one binary mask per referring expression.

    For expression ``i`` with predicted mask ``P_i`` and ground truth ``G_i``
    at the resolution of ``gt_sem_seg`` (the original image), the metric
    counts ``I_i = |P_i & G_i|`` and ``U_i = |P_i | G_i|`` over non-ignored
    pixels and reports, in percent:

    - ``mIoU``: the mean of ``I_i / U_i`` over expressions (CRIS's and
      RISCLIP's "IoU"; with ``empty_target='one'`` it is gRefCOCO's gIoU),
    - ``oIoU``: ``sum_i I_i / sum_i U_i`` (also called cIoU; LAVT, ReLA),
    - ``Prec@X``: the share of expressions whose IoU passes ``X / 100``,

    plus ``num_samples``, the number of expressions scored. The formulas and
    which paper uses which are in ``docs/metrics.md``.

    With ``gres=True`` (gRefCOCO, scored as ReLA's evaluation does) an
    expression may have no target (an empty ground truth) and a prediction
    may be empty ("no target"); a correct empty prediction scores IoU 1. It
    reports ``gIoU`` (mean IoU over all expressions), ``cIoU`` (``sum I /
    sum U``), ``N-acc`` (no-target expressions predicted empty), ``T-acc``
    (target expressions predicted non-empty), ``Prec@X`` over the
    expressions with a target, ``num_samples`` and, per kind (``single``,
    ``multi`` from ``num_targets`` in the metainfo, else ``target``, and
    ``none``), ``<kind>/gIoU``, ``<kind>/cIoU`` (not for ``none``) and
    ``<kind>/num_samples``.

    Each expression leaves only a few numbers in ``self.results``, so
    gathering across ranks is cheap. ``BaseMetric.evaluate`` gathers them in
    dataset order and truncates to the dataset size, which drops the
    duplicates ``DefaultSampler`` pads onto the last ranks, so every
    expression counts once.

    Subclasses change one step by overriding it. Per expression:
    ``read_ground_truth``, ``binarize_prediction``, ``compute_overlap``,
    ``sample_iou``, ``sample_record`` (or just extend ``record_meta_keys``);
    per dataset: ``summarize`` and ``log_summary``.

    Args:
        threshold (float, optional): None scores ``pred_sem_seg`` as the model
            wrote it. A probability in (0, 1) re-binarises
            ``sigmoid(seg_logits) > threshold`` instead, e.g. to sweep
            thresholds without touching the model config. CRIS uses 0.35 with
            a strict ``>``. Defaults to None.
        prec_thresholds (Sequence[float]): IoU thresholds of the Prec@X
            values, each in (0, 1]. Defaults to (0.5, 0.6, 0.7, 0.8, 0.9).
        prec_rule (str): ``'strict'`` counts ``IoU > t`` (CRIS);
            ``'inclusive'`` counts ``IoU >= t`` (LAVT, ReLA).
            Defaults to ``'strict'``.
        empty_target (str, optional): IoU of an expression whose union is
            empty (empty ground truth, empty prediction). ``'zero'`` scores 0
            as CRIS and mmdet do; ``'one'`` scores 1, gRefCOCO's convention
            for a correctly predicted no-target expression. An empty ground
            truth with a non-empty prediction scores 0 either way.
            Defaults to None: ``'one'`` with ``gres``, else ``'zero'``.
        gres (bool): Score gRefCOCO-style (see above). Defaults to False.
        nt_acc (str): With ``gres``: ``'paper'`` gives N-acc = TP / (TP + FN)
            and T-acc = TN / (TN + FP) (no-target as the positive class), as
            the GRES paper defines them; ``'rela_code'`` reproduces ReLA's
            released evaluator, TP / (TP + FN + 1) and TP / (TP + FP + 1)
            (in percent here; it prints fractions). Defaults to ``'paper'``.
        output_file (str, optional): A ``.json`` path to which rank 0 writes
            one record per expression, in dataset order: ``ref_id``,
            ``sent_id``, ``image_id``, ``text``, ``iou`` (a fraction in
            [0, 1]), ``intersection`` and ``union`` (pixel counts).
            Defaults to None.
        collect_device (str): Where results are gathered across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        collect_dir (str, optional): Folder shared by all ranks for gathering
            on ``'cpu'``; None makes a temporary one. Defaults to None.
        prefix (str, optional): Prefix of the metric keys: ``'val'`` gives
            ``'val/mIoU'``. Defaults to None: bare keys, as mmseg's IoUMetric.
    """

    # Empty rather than None: keys stay bare (``save_best='mIoU'`` as in
    # mmseg) without BaseMetric warning that the prefix is unset.
    default_prefix: Optional[str] = ''
    # Metainfo copied into every per-expression record (and the JSON dump);
    # subclasses extend it for their summaries, e.g. with a category id.
    record_meta_keys = ('ref_id', 'sent_id', 'image_id', 'text')

    def __init__(
        self,
        threshold: Optional[float] = None,
        prec_thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9),
        prec_rule: str = 'strict',
        empty_target: Optional[str] = None,
        gres: bool = False,
        nt_acc: str = 'paper',
        output_file: Optional[str] = None,
        collect_device: str = 'cpu',
        collect_dir: Optional[str] = None,
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        name = type(self).__name__
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(
                f'{name}: threshold must be None or a probability in (0, 1), got {threshold!r}.'
            )
        if (
            isinstance(prec_thresholds, str)
            or not prec_thresholds
            or any(not 0 < t <= 1 for t in prec_thresholds)
            or len(set(prec_thresholds)) != len(prec_thresholds)
        ):
            raise ValueError(
                f'{name}: prec_thresholds must be distinct IoUs in (0, 1], got {prec_thresholds!r}.'
            )
        if prec_rule not in PREC_RULES:
            raise ValueError(f'{name}: prec_rule must be one of {PREC_RULES}, got {prec_rule!r}.')
        if empty_target is None:
            empty_target = 'one' if gres else 'zero'
        if empty_target not in EMPTY_TARGET_RULES:
            raise ValueError(
                f'{name}: empty_target must be one of {EMPTY_TARGET_RULES}, got {empty_target!r}.'
            )
        if gres and empty_target != 'one':
            raise ValueError(
                f'{name}: gres=True scores a correctly empty '
                f'prediction as IoU 1; empty_target must be '
                f"'one' (or None), got {empty_target!r}."
            )
        if nt_acc not in NT_ACC_RULES:
            raise ValueError(f'{name}: nt_acc must be one of {NT_ACC_RULES}, got {nt_acc!r}.')
        if output_file is not None and not output_file.endswith('.json'):
            raise ValueError(f'{name}: output_file must end with .json, got {output_file!r}.')
        self.threshold = threshold
        self.prec_thresholds = tuple(float(t) for t in prec_thresholds)
        self.prec_rule = prec_rule
        self.empty_target = empty_target
        self.gres = gres
        self.nt_acc = nt_acc
        self.output_file = output_file

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Scores each expression of a batch and keeps a small record of it.

        Args:
            data_batch (Any): The dataloader batch; unused, everything needed
                rides in the data samples.
            data_samples (Sequence[dict]): ``SegDataSample.to_dict()`` outputs
                with ``gt_sem_seg.data`` (1, h, w), ``pred_sem_seg.data``
                (1, h, w) or, when ``threshold`` is set, ``seg_logits.data``
                (1, h, w) logits, and the metainfo ``ref_id``, ``sent_id``,
                ``image_id``, ``text`` (``img_path`` names it in errors).
        """
        for data_sample in data_samples:
            gt_foreground, valid = self.read_ground_truth(data_sample)
            pred = self.binarize_prediction(data_sample)
            if pred.shape != gt_foreground.shape:
                raise ValueError(
                    f'{type(self).__name__}: {_describe(data_sample)} has a '
                    f'prediction of shape {tuple(pred.shape)} but a ground '
                    f'truth of shape {tuple(gt_foreground.shape)}; both must '
                    f'be at the original image resolution.'
                )
            intersection, union = self.compute_overlap(pred, gt_foreground, valid)
            record = self.sample_record(data_sample, intersection, union)
            if self.gres:
                record.update(self.gres_fields(data_sample, pred & valid, gt_foreground))
            self.results.append(record)

    def read_ground_truth(self, data_sample: dict) -> Tuple[Tensor, Tensor]:
        """Reads the referent mask of one expression.

        Args:
            data_sample (dict): Holds ``gt_sem_seg.data`` (1, h, w) with 0/1
                labels or soft values in [0, 1], and 255 on ignored pixels.

        Returns:
            tuple[Tensor, Tensor]: ``gt_foreground`` (h, w) bool, ``gt > 0.5``
            on valid pixels, and ``valid`` (h, w) bool, the pixels not 255.
        """
        gt = self._pixel_data(data_sample, 'gt_sem_seg')
        valid = gt != IGNORE_INDEX
        out_of_range = valid & ((gt < 0) | (gt > 1))
        if out_of_range.any():
            raise ValueError(
                f'{type(self).__name__}: {_describe(data_sample)} has the '
                f'gt_sem_seg value {gt[out_of_range][0].item()}; expected 0 '
                f'(background), 1 (referent), soft values in between, or '
                f'{IGNORE_INDEX} (ignored).'
            )
        return (gt > 0.5) & valid, valid

    def binarize_prediction(self, data_sample: dict) -> Tensor:
        """Returns the predicted referent mask of one expression.

        Args:
            data_sample (dict): Holds ``pred_sem_seg.data`` (1, h, w) in
                {0, 1}, or ``seg_logits.data`` (1, h, w) when ``threshold``
                is set.

        Returns:
            Tensor: (h, w) bool.
        """
        if self.threshold is not None:
            logits = self._pixel_data(data_sample, 'seg_logits')
            return logits.float().sigmoid() > self.threshold
        pred = self._pixel_data(data_sample, 'pred_sem_seg')
        if ((pred != 0) & (pred != 1)).any():
            raise ValueError(
                f'{type(self).__name__}: {_describe(data_sample)} has the '
                f'pred_sem_seg values {pred.unique()[:8].tolist()}; expected '
                f'a binary mask in {{0, 1}} (or set threshold to binarise '
                f'seg_logits).'
            )
        return pred.bool()

    def compute_overlap(
        self, pred: Tensor, gt_foreground: Tensor, valid: Tensor
    ) -> Tuple[int, int]:
        """Counts intersection and union pixels of one expression.

        Args:
            pred (Tensor): (h, w) bool predicted mask.
            gt_foreground (Tensor): (h, w) bool referent mask, False where
                not valid.
            valid (Tensor): (h, w) bool, the pixels that count.

        Returns:
            tuple[int, int]: ``intersection`` and ``union`` pixel counts.
        """
        pred = pred & valid
        intersection = (pred & gt_foreground).sum().item()
        union = (pred | gt_foreground).sum().item()
        return int(intersection), int(union)

    def sample_iou(self, intersection: int, union: int) -> float:
        """IoU from pixel counts; ``empty_target`` decides an empty union.

        Python floats (float64) make 4 / 5 equal the literal 0.8, so IoUs
        that land exactly on a Prec@X threshold compare as intended.
        """
        if union == 0:
            return 1.0 if self.empty_target == 'one' else 0.0
        return intersection / union

    def sample_record(self, data_sample: dict, intersection: int, union: int) -> dict:
        """The record of one expression kept in ``self.results``.

        It holds ``record_meta_keys`` from the metainfo (None where absent),
        ``iou``, ``intersection`` and ``union``; every key is also written to
        ``output_file``.
        """
        record = {key: data_sample.get(key) for key in self.record_meta_keys}
        record.update(
            iou=self.sample_iou(intersection, union), intersection=intersection, union=union
        )
        return record

    def gres_fields(self, data_sample: dict, pred: Tensor, gt_foreground: Tensor) -> dict:
        """The gres record fields of one expression.

        Returns:
            dict: ``kind`` (see ``GRES_KINDS``), ``gt_empty``, ``pred_empty``
            and ``no_target_score`` (the model's no-target probability, None
            when it has no such head).
        """
        gt_empty = not bool(gt_foreground.any())
        num_targets = data_sample.get('num_targets')
        if gt_empty:
            kind = 'none'
        elif num_targets is None:
            kind = 'target'
        else:
            kind = 'single' if num_targets == 1 else 'multi'
        score = data_sample.get('no_target_score')
        return dict(
            kind=kind,
            gt_empty=gt_empty,
            pred_empty=not bool(pred.any()),
            no_target_score=None if score is None else float(score),
        )

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Summarises, logs and optionally dumps the records (rank 0 only).

        Args:
            results (list[dict]): One ``sample_record`` per expression in
                dataset order, padding duplicates already dropped.

        Returns:
            dict[str, float]: See ``summarize``.
        """
        if not results:
            raise ValueError(
                f'{type(self).__name__} received no expression '
                f'to score; is the evaluation dataset empty?'
            )
        metrics = self.summarize(results)
        self.log_summary(metrics)
        if self.output_file is not None:
            self.dump_records(results)
        return metrics

    def summarize(self, results: List[dict]) -> Dict[str, float]:
        """Computes the metric values from per-expression records.

        Args:
            results (list[dict]): Records with ``iou``, ``intersection`` and
                ``union``.

        Returns:
            dict[str, float]: ``mIoU``, ``oIoU`` and one ``Prec@X`` per
            threshold, in percent, and ``num_samples``; with ``gres`` the
            keys of :meth:`summarize_gres`.
        """
        if self.gres:
            return self.summarize_gres(results)
        ious = torch.tensor([r['iou'] for r in results], dtype=torch.float64)
        total_intersection = sum(r['intersection'] for r in results)
        total_union = sum(r['union'] for r in results)
        metrics = {
            'mIoU': 100 * ious.mean().item(),
            'oIoU': 100 * self.sample_iou(total_intersection, total_union),
        }
        for t in self.prec_thresholds:
            passed = ious > t if self.prec_rule == 'strict' else ious >= t
            metrics[prec_key(t)] = 100 * passed.double().mean().item()
        metrics['num_samples'] = len(results)
        return metrics

    def summarize_gres(self, results: List[dict]) -> Dict[str, float]:
        """gIoU, cIoU, N-acc, T-acc, Prec@X (expressions with a target) and
        the per-kind breakdown, in percent; see the class docstring.

        N-acc (T-acc) is left out when no expression has no target (a
        target), except with ``nt_acc='rela_code'``, which reports 0 for
        both when no expression lacks a target, as ReLA does.
        """

        def overlap(records: List[dict]) -> Dict[str, float]:
            ious = [r['iou'] for r in records]
            union = sum(r['union'] for r in records)
            return dict(
                gIoU=100 * sum(ious) / len(ious),
                cIoU=100 * sum(r['intersection'] for r in records) / union if union else 0.0,
            )

        metrics = overlap(results)
        empty = [r for r in results if r['gt_empty']]
        targets = [r for r in results if not r['gt_empty']]
        true_pos = sum(r['pred_empty'] for r in empty)
        false_pos = sum(r['pred_empty'] for r in targets)
        if self.nt_acc == 'rela_code':
            found = bool(empty)
            metrics['N-acc'] = 100 * true_pos / (len(empty) + 1) if found else 0.0
            metrics['T-acc'] = 100 * true_pos / (true_pos + false_pos + 1) if found else 0.0
        else:
            if empty:
                metrics['N-acc'] = 100 * true_pos / len(empty)
            if targets:
                metrics['T-acc'] = 100 * (len(targets) - false_pos) / len(targets)
        for t in self.prec_thresholds:
            passed = [
                (r['iou'] > t if self.prec_rule == 'strict' else r['iou'] >= t) for r in targets
            ]
            metrics[prec_key(t)] = 100 * sum(passed) / len(passed) if passed else 0.0
        metrics['num_samples'] = len(results)
        for kind in GRES_KINDS:
            records = [r for r in results if r['kind'] == kind]
            if not records:
                continue
            kind_metrics = overlap(records)
            metrics[f'{kind}/gIoU'] = kind_metrics['gIoU']
            if kind != 'none':
                metrics[f'{kind}/cIoU'] = kind_metrics['cIoU']
            metrics[f'{kind}/num_samples'] = len(records)
        return metrics

    def log_summary(self, metrics: Dict[str, float]) -> None:
        """Logs the metric values as a table, stating the protocol."""
        table = PrettyTable()
        for key, value in metrics.items():
            table.add_column(key, [value if isinstance(value, int) else f'{value:.2f}'])
        if self.threshold is None:
            binarisation = 'pred_sem_seg as predicted'
        else:
            binarisation = f'sigmoid(seg_logits) > {self.threshold}'
        rule = '>' if self.prec_rule == 'strict' else '>='
        empty_iou = 1 if self.empty_target == 'one' else 0
        gres = (
            f'gres: an empty prediction means "no target", Prec@X over '
            f'expressions with a target, N-acc/T-acc as {self.nt_acc}; '
            if self.gres
            else ''
        )
        print_log(
            f'{type(self).__name__}: scored at ground-truth (original) '
            f'resolution; binarisation: {binarisation}; Prec@X counts '
            f'IoU {rule} X ({self.prec_rule}); an empty union scores IoU '
            f'{empty_iou}; {gres}distributed padding duplicates dropped.\n' + table.get_string(),
            logger='current',
        )

    def dump_records(self, results: List[dict]) -> None:
        """Writes the per-expression records to ``output_file`` as JSON."""
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(self.output_file)))
        mmengine.dump(results, self.output_file, indent=2)
        print_log(
            f'{type(self).__name__}: wrote {len(results)} per-expression '
            f'records to {self.output_file}',
            logger='current',
        )

    def _pixel_data(self, data_sample: dict, field: str) -> Tensor:
        """The (h, w) tensor of the (1, h, w) PixelData ``field``."""
        if field not in data_sample:
            raise KeyError(
                f'{type(self).__name__}: {_describe(data_sample)} has no '
                f'{field!r}; its keys are {sorted(data_sample)}.'
            )
        data = data_sample[field]['data']
        if data.dim() != 3 or data.shape[0] != 1:
            raise ValueError(
                f'{type(self).__name__}: {_describe(data_sample)} has '
                f'{field} of shape {tuple(data.shape)}; expected (1, h, w).'
            )
        return data[0]


def prec_key(threshold: float) -> str:
    """Key of a Prec@X value: 0.5 gives ``'Prec@50'``, 0.75 ``'Prec@75'``."""
    return f'Prec@{threshold * 100:g}'


def _describe(data_sample: dict) -> str:
    """Names an expression in error messages by its image and sentence."""
    img_path = data_sample.get('img_path', '<unknown image>')
    return (
        f'the expression {data_sample.get("text")!r} (sent_id '
        f'{data_sample.get("sent_id")}) on {img_path!r}'
    )
