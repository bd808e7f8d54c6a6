"""RefCOCO, RefCOCO+ and RefCOCOg, read straight from the REFER files."""

import logging
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.fileio import exists, get, isdir, join_path, load
from mmengine.logging import print_log
from mmengine.utils import is_abs

from refseg.registry import DATASETS
from refseg.structures.coco_mask import compact_mask_ann, mask_ann_problem
from refseg.utils.safe_pickle import restricted_loads

from .base_ref_dataset import BaseRefDataset, DataItemError  # noqa: F401 (re-exported)

TEXT_FIELDS = ('sent', 'raw')
REF_KEYS = frozenset({'ref_id', 'ann_id', 'image_id', 'category_id', 'split', 'sentences'})


def split_matches(query: str, ref_split: str) -> bool:
    """REFER's split selection.

    'testA', 'testB' and 'testC' select every split containing that letter, 'test' every
    split containing 'test', and any other name (train, val) only itself.
    """
    if query in ('testA', 'testB', 'testC'):
        return query[-1] in ref_split
    if query == 'test':
        return 'test' in ref_split
    return query == ref_split


def load_refs(path: str) -> List[dict]:
    """Load a REFER ``refs(<split_by>).p`` file (a Python-2 pickle of a list of refs).

    The pickle is read with :func:`refseg.utils.safe_pickle.restricted_loads`: builtin
    containers and scalars only, so a planted file cannot run code.
    """
    # latin1 reads Python-2 byte strings; the REFER text fields are unicode anyway.
    refs = restricted_loads(get(path), str(path), encoding='latin1')
    if not isinstance(refs, list):
        raise TypeError(f'{path} holds a {type(refs).__name__}; expected a list of refs')
    return refs


@DATASETS.register_module()
class RefCOCODataset(BaseRefDataset):
    """Referring expressions of RefCOCO / RefCOCO+ / RefCOCOg from the REFER files.

    ``ann_file`` is the COCO-style ``instances.json`` (images, annotations, categories) and
    ``split_file`` the refs pickle; the three datasets and their partitions (unc, umd,
    google) differ only in these two files, see ``configs/_base_/datasets/``.

    Each item (:meth:`get_data_info`) is a dict with ``img_path``, ``height``, ``width``,
    ``text``, ``mask_ann`` (the referent's COCO segmentation), ``ref_id``, ``sent_id``,
    ``ann_id``, ``image_id``, ``category_id``, ``seg_fields=[]``, ``reduce_zero_label=False``
    and, in random mode, ``sentences`` (see :class:`BaseRefDataset`).

    Args:
        data_root (str): Root that relative paths below are joined to.
        ann_file (str): COCO instances file. Defaults to 'refcoco/instances.json'.
        split_file (str): REFER refs pickle. Defaults to 'refcoco/refs(unc).p'.
        split (str): 'train', 'val', 'test', 'testA', 'testB' or 'testC', with REFER's
            matching rules (see :func:`split_matches`). Defaults to 'train'.
        data_prefix (dict): ``img_path``: the image folder. Defaults to 'train2014/'.
        sentence_mode (str, optional): 'random': one item per ref whose ``text`` is drawn
            at random from the ref's sentences on every access (training, as CRIS); 'all':
            one item per sentence (testing); 'first': one item per ref with its first
            sentence (CRIS's validation during training). Defaults to 'all' in test mode,
            else 'random'.
        text_field (str): Sentence field used as text: 'sent' (lower-cased and tokenised,
            as CRIS) or 'raw' (as typed by the annotator, stripped). Defaults to 'sent'.
        skip_invalid (bool): Drop refs whose annotation has an empty or malformed mask or
            no sentences, logging how many, instead of raising. Defaults to False.
        refuse_empty_text (bool): Raise on a sentence that is empty or only whitespace
            (in ``text_field``) instead of warning about it (such sentences are kept and
            scored otherwise). Defaults to False.
        metainfo (dict, optional): Overrides of :attr:`METAINFO`.
        indices (int | Sequence[int], optional): Keep only these items (or the first n).
        pipeline (Sequence[dict | callable]): Data transforms.
        serialize_data (bool): Hold the items in one shared numpy buffer. Defaults to True.
        test_mode (bool): Whether the dataset is used for testing. Defaults to False.
        lazy_init (bool): Defer loading the files until first use. Defaults to False.
        max_refetch (int): Retries when the pipeline returns None. Defaults to 1000.
    """

    METAINFO = dict(classes=('background', 'object'), palette=[[0, 0, 0], [255, 0, 0]])

    def __init__(
        self,
        data_root: str,
        ann_file: str = 'refcoco/instances.json',
        split_file: str = 'refcoco/refs(unc).p',
        split: str = 'train',
        data_prefix: dict = dict(img_path='train2014/'),
        sentence_mode: Optional[str] = None,
        text_field: str = 'sent',
        skip_invalid: bool = False,
        refuse_empty_text: bool = False,
        metainfo: Optional[dict] = None,
        indices: Optional[Union[int, Sequence[int]]] = None,
        pipeline: Sequence[Union[dict, Callable]] = (),
        serialize_data: bool = True,
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
    ) -> None:
        if text_field not in TEXT_FIELDS:
            raise ValueError(
                f'{type(self).__name__}: text_field must be one of '
                f'{TEXT_FIELDS}, got {text_field!r}'
            )
        self.split_file = split_file
        self.split = split
        self.text_field = text_field
        self.skip_invalid = skip_invalid
        self.refuse_empty_text = refuse_empty_text
        if data_root and split_file and not is_abs(split_file):
            self.split_file = join_path(data_root, split_file)
        super().__init__(
            sentence_mode=sentence_mode,
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
        )

    def load_data_list(self) -> List[dict]:
        """Read the instances and refs files and build one item per ref or sentence."""
        images, annotations, all_refs = self._read_files()
        refs = [ref for ref in all_refs if split_matches(self.split, ref['split'])]
        if not refs:
            available = sorted({ref['split'] for ref in all_refs})
            raise ValueError(
                f'{type(self).__name__}: split {self.split!r} selects no ref '
                f'of {self.split_file}; its splits are {available}'
            )

        data_list, problems = [], Counter()
        for ref in refs:
            item = self._parse_ref(ref, images, annotations, problems)
            if item is not None:
                data_list.extend(
                    self.expand_sentences(item, item.pop('sentences'), item.pop('sent_ids'))
                )
        self._check_empty_text(refs)
        self._log_summary(len(refs), data_list, problems)
        return data_list

    def _check_empty_text(self, refs: List[dict]) -> None:
        """Warn about (or refuse) sentences whose text is empty or whitespace."""
        empty = [
            f'ref_id={ref["ref_id"]} sent_id={sentence.get("sent_id")}'
            for ref in refs
            for sentence in ref['sentences']
            if not str(sentence.get(self.text_field, '')).strip()
        ]
        if not empty:
            return
        message = (
            f'{type(self).__name__}: {len(empty)} sentences of split {self.split!r} '
            f'in {self.split_file} have an empty {self.text_field!r} '
            f'({"; ".join(empty[:5])}{" ..." if len(empty) > 5 else ""})'
        )
        if self.refuse_empty_text:
            raise ValueError(message + ' (refuse_empty_text=True)')
        print_log(
            message + '; they are kept and scored against an empty expression '
            '(refuse_empty_text=True refuses them)',
            logger='current',
            level=logging.WARNING,
        )

    def _read_files(self) -> Tuple[Dict[int, dict], Dict[int, dict], List[dict]]:
        """Images and annotations of ``ann_file`` by id, and all refs of ``split_file``."""
        for path in (self.ann_file, self.split_file):
            if not exists(path):
                raise FileNotFoundError(
                    f'{type(self).__name__}: annotation file {path} '
                    'does not exist (see docs/dataset_prepare.md)'
                )
        img_dir = self.data_prefix['img_path']
        if not isdir(img_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: image folder {img_dir} '
                'does not exist (data_prefix.img_path)'
            )
        instances = load(self.ann_file, file_format='json')
        for key in ('images', 'annotations'):
            if key not in instances:
                raise KeyError(
                    f'{self.ann_file} has no {key!r} list; expected a COCO-style instances file'
                )
        refs = self.load_split_file()
        for index, ref in enumerate(refs):
            missing = REF_KEYS - set(ref)
            if missing:
                raise KeyError(
                    f'ref {index} of {self.split_file} lacks {sorted(missing)}; '
                    f'expected the REFER keys {sorted(REF_KEYS)}'
                )
        return (
            {image['id']: image for image in instances['images']},
            {ann['id']: ann for ann in instances['annotations']},
            refs,
        )

    def load_split_file(self) -> List[dict]:
        """All refs of ``split_file`` (the REFER pickle)."""
        return load_refs(self.split_file)

    def _parse_ref(
        self, ref: dict, images: Dict[int, dict], annotations: Dict[int, dict], problems: Counter
    ) -> Optional[dict]:
        """One compact record for a ref, or None when it is invalid and skipped."""
        ref_id = ref['ref_id']
        if ref['ann_id'] not in annotations:
            raise KeyError(
                f'ref_id={ref_id}: ann_id={ref["ann_id"]} is not an annotation of {self.ann_file}'
            )
        if ref['image_id'] not in images:
            raise KeyError(
                f'ref_id={ref_id}: image_id={ref["image_id"]} is not an image of {self.ann_file}'
            )
        ann, image = annotations[ref['ann_id']], images[ref['image_id']]
        if ann['image_id'] != ref['image_id']:
            raise ValueError(
                f'ref_id={ref_id}: ann_id={ann["id"]} belongs to image_id='
                f'{ann["image_id"]}, but the ref says image_id={ref["image_id"]}'
            )
        height, width = image['height'], image['width']

        problem = mask_ann_problem(ann.get('segmentation', []), height, width)
        if problem is None and not ref['sentences']:
            problem = 'the ref has no sentences'
        if problem is not None:
            if not self.skip_invalid:
                raise ValueError(
                    f'ref_id={ref_id}, ann_id={ann["id"]} in {self.ann_file}: '
                    f'{problem} (set skip_invalid=True to drop such refs)'
                )
            problems[problem] += 1
            return None

        return dict(
            img_path=join_path(self.data_prefix['img_path'], image['file_name']),
            height=height,
            width=width,
            mask_ann=compact_mask_ann(ann['segmentation'], height, width),
            ref_id=ref_id,
            ann_id=ann['id'],
            image_id=image['id'],
            category_id=ref['category_id'],
            sentences=self._sentences(ref_id, ref),
            sent_ids=[sentence['sent_id'] for sentence in ref['sentences']],
            seg_fields=[],
            reduce_zero_label=False,
        )

    def _sentences(self, ref_id: int, ref: dict) -> List[str]:
        """The ref's expressions, read from each sentence's ``text_field``."""
        sentences = []
        for sentence in ref['sentences']:
            if self.text_field not in sentence:
                raise KeyError(
                    f'ref_id={ref_id}: sentence {sentence.get("sent_id")} has no '
                    f'{self.text_field!r} field (text_field)'
                )
            sentences.append(sentence[self.text_field].strip())
        return sentences

    def _log_summary(self, num_refs: int, data_list: List[dict], problems: Counter) -> None:
        name = type(self).__name__
        if problems:
            common = problems.most_common(3)
            details = '; '.join(f'{count} x {reason}' for reason, count in common)
            if len(problems) > len(common):
                details += f'; and {len(problems) - len(common)} other kinds'
            print_log(
                f'{name}: skipped {sum(problems.values())} of {num_refs} refs of split '
                f'{self.split!r} with invalid annotations ({details})',
                logger='current',
                level=logging.WARNING,
            )
        print_log(
            f'{name}: split {self.split!r} of {self.split_file}: '
            f'{num_refs - sum(problems.values())} refs, {len(data_list)} items '
            f'(sentence_mode={self.sentence_mode!r}, text_field={self.text_field!r})',
            logger='current',
        )
