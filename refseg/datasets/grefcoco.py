"""gRefCOCO (GRES, CVPR 2023): expressions with one target, several, or none."""

from collections import Counter
from typing import Dict, List, Optional, Tuple

import pycocotools.mask as mask_utils
from mmengine.fileio import join_path, load

from refseg.registry import DATASETS
from refseg.structures.coco_mask import compact_mask_ann, mask_ann_problem, mask_ann_to_rle

from .refcoco import RefCOCODataset
from .synthetic import SyntheticRefDataset

NO_TARGET_IDS = [-1]
NO_SENTENCES = 'the ref has no sentences (dropped, as the gRefCOCO authors advise)'


def target_ann_ids(ref: dict, split_file: str) -> List[int]:
    """The annotation ids a gRefCOCO ref names: ``[]`` for a no-target ref.

    ``ann_id`` is an int (one target), a list of ints (several) or ``[-1]`` (none); a ref
    that carries ``no_target`` must agree with it.

    Raises:
        ValueError: If ``ann_id`` has another form or contradicts ``no_target``.
    """
    ann_id, ref_id = ref['ann_id'], ref['ref_id']
    ann_ids = [ann_id] if isinstance(ann_id, int) else ann_id
    if (
        not isinstance(ann_ids, list)
        or not ann_ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ann_ids)
    ):
        raise ValueError(
            f'ref_id={ref_id} in {split_file}: ann_id={ann_id!r}; expected an '
            'int, a non-empty list of ints, or [-1] (no target)'
        )
    no_target = ann_ids == NO_TARGET_IDS
    if not no_target and (any(i < 0 for i in ann_ids) or len(set(ann_ids)) != len(ann_ids)):
        raise ValueError(
            f'ref_id={ref_id} in {split_file}: ann_id={ann_id!r} mixes -1 '
            'with objects or repeats an id; [-1] alone marks no target'
        )
    if 'no_target' in ref and bool(ref['no_target']) != no_target:
        raise ValueError(
            f'ref_id={ref_id} in {split_file}: no_target={ref["no_target"]!r} '
            f'contradicts ann_id={ann_id!r}'
        )
    return [] if no_target else ann_ids


@DATASETS.register_module()
class GRefCOCODataset(RefCOCODataset):
    """gRefCOCO from its released files: ``grefs(unc).json`` and COCO ``instances.json``.

    A ref names one object (``ann_id`` an int), several (a list) or none (``[-1]`` with
    ``no_target: true``); its target mask is the union of the named objects, or empty. The
    ``file_name`` of a ref carries an ``_<ann id>`` suffix, so images are found through
    ``image_id`` in ``instances.json``. Sentences, splits (train / val / testA / testB) and
    ``sentence_mode`` work as in :class:`RefCOCODataset`; refs without sentences, which the
    release contains, are dropped and counted in the log.

    Items are those of :class:`RefCOCODataset` except: ``mask_ann`` is the target's
    segmentation (one object's as given, several merged into one compressed RLE, None for
    no target), ``ann_id`` is the list of target ids (``[]`` for none), ``category_id`` as
    in the file, plus ``no_target`` (bool) and ``num_targets`` (int, the objects the ref
    names, crowd regions included).

    Args:
        data_root (str): Root that relative paths are joined to.
        ann_file (str): COCO instances file. Defaults to 'grefcoco/instances.json'.
        split_file (str): gRefCOCO refs. Defaults to 'grefcoco/grefs(unc).json'.
        data_prefix (dict): ``img_path``: the COCO train2014 folder.
            Defaults to 'images/train2014/' (ReLA's layout).
        include_crowd (bool): Keep crowd (``iscrowd``) regions in the target; ReLA drops
            them. Defaults to False.
        **kwargs: Other arguments of :class:`RefCOCODataset` (``split``,
            ``sentence_mode``, ``text_field``, ``skip_invalid``, ``test_mode``, ...).
    """

    def __init__(
        self,
        data_root: str,
        ann_file: str = 'grefcoco/instances.json',
        split_file: str = 'grefcoco/grefs(unc).json',
        data_prefix: dict = dict(img_path='images/train2014/'),
        include_crowd: bool = False,
        **kwargs,
    ) -> None:
        self.include_crowd = include_crowd
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            split_file=split_file,
            data_prefix=data_prefix,
            **kwargs,
        )

    def load_split_file(self) -> List[dict]:
        """All refs of ``split_file`` (a JSON list)."""
        refs = load(self.split_file, file_format='json')
        if not isinstance(refs, list):
            raise TypeError(
                f'{self.split_file} holds a {type(refs).__name__}; expected a '
                'JSON list of gRefCOCO refs'
            )
        return refs

    def _parse_ref(
        self, ref: dict, images: Dict[int, dict], annotations: Dict[int, dict], problems: Counter
    ) -> Optional[dict]:
        """One compact record for a ref, or None when it is dropped."""
        ref_id = ref['ref_id']
        ann_ids = target_ann_ids(ref, self.split_file)
        if ref['image_id'] not in images:
            raise KeyError(
                f'ref_id={ref_id}: image_id={ref["image_id"]} is not an image of {self.ann_file}'
            )
        image = images[ref['image_id']]
        if not ref['sentences']:
            problems[NO_SENTENCES] += 1
            return None
        mask_ann, problem = self._target(ref, ann_ids, image, annotations)
        if problem is not None:
            if not self.skip_invalid:
                raise ValueError(
                    f'ref_id={ref_id} in {self.split_file}: {problem} (set '
                    'skip_invalid=True to drop such refs)'
                )
            problems[problem.split(': ', 1)[-1]] += 1
            return None
        return dict(
            img_path=join_path(self.data_prefix['img_path'], image['file_name']),
            height=image['height'],
            width=image['width'],
            mask_ann=mask_ann,
            no_target=mask_ann is None,
            num_targets=0 if mask_ann is None else len(ann_ids),
            ref_id=ref_id,
            ann_id=ann_ids,
            image_id=image['id'],
            category_id=ref['category_id'],
            sentences=self._sentences(ref_id, ref),
            sent_ids=[sentence['sent_id'] for sentence in ref['sentences']],
            seg_fields=[],
            reduce_zero_label=False,
        )

    def _target(
        self, ref: dict, ann_ids: List[int], image: dict, annotations: Dict[int, dict]
    ) -> Tuple[Optional[object], Optional[str]]:
        """The target's segmentation (None: no target) and a problem, if any."""
        if not ann_ids:
            return None, None
        height, width = image['height'], image['width']
        segmentations = []
        for ann_id in ann_ids:
            ann = annotations.get(ann_id)
            if ann is None:
                raise KeyError(
                    f'ref_id={ref["ref_id"]}: ann_id={ann_id} is not an '
                    f'annotation of {self.ann_file}'
                )
            if ann['image_id'] != image['id']:
                raise ValueError(
                    f'ref_id={ref["ref_id"]}: ann_id={ann_id} belongs to '
                    f'image_id={ann["image_id"]}, but the ref says '
                    f'image_id={image["id"]}'
                )
            if ann.get('iscrowd') and not self.include_crowd:
                continue
            segmentation = ann.get('segmentation', [])
            problem = mask_ann_problem(segmentation, height, width)
            if problem is not None:
                return None, f'ann_id={ann_id}: {problem}'
            segmentations.append(segmentation)
        if not segmentations:
            return None, 'every listed object is a crowd region (include_crowd=False)'
        if len(segmentations) == 1:
            return compact_mask_ann(segmentations[0], height, width), None
        union = mask_utils.merge(
            [mask_ann_to_rle(s, height, width) for s in segmentations], intersect=False
        )
        return union, None


@DATASETS.register_module()
class SyntheticGRefDataset(SyntheticRefDataset, GRefCOCODataset):
    """:class:`GRefCOCODataset` over the synthetic world's ``refcoco/grefs(unc).json``,
    generated on first use as :class:`SyntheticRefDataset` does.

    Args:
        data_root (str): Folder of the synthetic world, created if missing.
        generate_cfg (dict, optional): Arguments of
            :func:`refseg.synthetic.ensure_synthetic_refer`.
        **kwargs: Arguments of :class:`GRefCOCODataset`; the defaults below match the
            generated layout.
    """

    def __init__(
        self,
        data_root: str,
        generate_cfg: Optional[dict] = None,
        ann_file: str = 'refcoco/instances.json',
        split_file: str = 'refcoco/grefs(unc).json',
        data_prefix: dict = dict(img_path='train2014/'),
        **kwargs,
    ) -> None:
        super().__init__(
            data_root=data_root,
            generate_cfg=generate_cfg,
            ann_file=ann_file,
            split_file=split_file,
            data_prefix=data_prefix,
            **kwargs,
        )
