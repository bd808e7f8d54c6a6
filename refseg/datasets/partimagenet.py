"""PartImageNet as a referring segmentation dataset: a part name is the expression.

One sample per (image, part category present in it). Its target is the union of all that
category's annotations in the image (both tires of a car, all feet of a dog), and its
expression is rendered from a template such as ``"the {part} of the {object}"``.
"""

import json
import logging
import os
import os.path as osp
import string
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.fileio import load
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from refseg.registry import DATASETS
from refseg.structures.coco_mask import mask_ann_to_rle
from refseg.utils.safe_pickle import load_data_file

from .base_ref_dataset import BaseRefDataset
from .imagenet_classes import (
    OBJECT_NAME_OVERRIDES,
    PARTIMAGENET_OBJECT_CLASSES,
    is_wnid,
    load_synset_mapping,
)

# The 40 part categories of the official annotation files: (id, name, supercategory).
# Id 0 is a real part. "Tier" is the official spelling of "tire".
PARTIMAGENET_CATEGORIES: Tuple[Tuple[int, str, str], ...] = (
    (0, 'Quadruped Head', 'Quadruped'),
    (1, 'Quadruped Body', 'Quadruped'),
    (2, 'Quadruped Foot', 'Quadruped'),
    (3, 'Quadruped Tail', 'Quadruped'),
    (4, 'Biped Head', 'Biped'),
    (5, 'Biped Body', 'Biped'),
    (6, 'Biped Hand', 'Biped'),
    (7, 'Biped Foot', 'Biped'),
    (8, 'Biped Tail', 'Biped'),
    (9, 'Fish Head', 'Fish'),
    (10, 'Fish Body', 'Fish'),
    (11, 'Fish Fin', 'Fish'),
    (12, 'Fish Tail', 'Fish'),
    (13, 'Bird Head', 'Bird'),
    (14, 'Bird Body', 'Bird'),
    (15, 'Bird Wing', 'Bird'),
    (16, 'Bird Foot', 'Bird'),
    (17, 'Bird Tail', 'Bird'),
    (18, 'Snake Head', 'Snake'),
    (19, 'Snake Body', 'Snake'),
    (20, 'Reptile Head', 'Reptile'),
    (21, 'Reptile Body', 'Reptile'),
    (22, 'Reptile Foot', 'Reptile'),
    (23, 'Reptile Tail', 'Reptile'),
    (24, 'Car Body', 'Car'),
    (25, 'Car Tier', 'Car'),
    (26, 'Car Side Mirror', 'Car'),
    (27, 'Bicycle Body', 'Bicycle'),
    (28, 'Bicycle Head', 'Bicycle'),
    (29, 'Bicycle Seat', 'Bicycle'),
    (30, 'Bicycle Tier', 'Bicycle'),
    (31, 'Boat Body', 'Boat'),
    (32, 'Boat Sail', 'Boat'),
    (33, 'Aeroplane Head', 'Aeroplane'),
    (34, 'Aeroplane Body', 'Aeroplane'),
    (35, 'Aeroplane Engine', 'Aeroplane'),
    (36, 'Aeroplane Wing', 'Aeroplane'),
    (37, 'Aeroplane Tail', 'Aeroplane'),
    (38, 'Bottle Mouth', 'Bottle'),
    (39, 'Bottle Body', 'Bottle'),
)

# Nouns for the "{superclass}" slot: the official words (quadruped, biped, reptile) are poor
# text for CLIP.
SUPERCLASS_NOUNS: Dict[str, str] = dict(
    Quadruped='animal',
    Biped='monkey',
    Fish='fish',
    Bird='bird',
    Snake='snake',
    Reptile='reptile',
    Car='vehicle',
    Bicycle='bike',
    Boat='boat',
    Aeroplane='airplane',
    Bottle='bottle',
)

# Named expression templates; configs may also give raw format strings.
TEMPLATES: Dict[str, str] = dict(
    part_of_object='the {part} of the {object}',
    possessive="the {object}'s {part}",
    part_of_superclass='the {part} of the {superclass}',
    part='{part}',
)
_TEMPLATE_FIELDS = {'part', 'object', 'superclass'}

Segmentation = Union[List[List[float]], dict]


def part_word(category_name: str, supercategory: str) -> str:
    """The text of a part: the category name minus its superclass, lower-cased.

    ``"Car Side Mirror"`` gives ``"side mirror"``; the official misspelling "Tier" is read
    as "tire".
    """
    prefix = supercategory + ' '
    if not category_name.startswith(prefix):
        raise ValueError(
            f'part category {category_name!r} does not start with its '
            f'supercategory {supercategory!r}; expected "<Superclass> <Part>"'
        )
    words = category_name[len(prefix) :].lower().split()
    return ' '.join('tire' if word == 'tier' else word for word in words)


def resolve_template(template: str) -> str:
    """A named template (see ``TEMPLATES``) or a format string, checked for its fields."""
    text = TEMPLATES.get(template, template)
    fields = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    unknown = fields - _TEMPLATE_FIELDS
    if unknown or 'part' not in fields:
        raise ValueError(
            f'expression template {template!r} must be one of {sorted(TEMPLATES)} or a '
            f'format string using {{part}} and optionally {{object}}, {{superclass}}; '
            f'got fields {sorted(fields)}'
        )
    return text


# ---------------------------------------------------------------- annotations
def valid_polygons(segmentation: List[list]) -> Tuple[List[List[float]], int]:
    """Keep polygons with an even number (>= 6) of coordinates.

    Returns:
        tuple[list, int]: The kept polygons and how many were dropped.
    """
    kept = [
        list(map(float, poly)) for poly in segmentation if len(poly) >= 6 and len(poly) % 2 == 0
    ]
    return kept, len(segmentation) - len(kept)


def sanitize_for_mmdet(ann_file: str, out_file: str, wnid_folders: bool = False) -> Dict[str, int]:
    """Write a copy of a COCO file that mmdet's ``CocoMetric`` can read.

    pycocotools reads a polygon list whose first polygon has 4 numbers as boxes and
    fails on shorter or odd-length ones, so the ground truth of ``CocoMetric`` crashes on
    the real files' degenerate polygons. Here polygons with fewer than 6 or an odd number
    of coordinates are dropped, and so are the annotations left without a polygon; RLE
    annotations and everything else are copied unchanged. The file is written atomically.

    Args:
        ann_file (str): The COCO-style file to read.
        out_file (str): Where to write the sanitised copy.
        wnid_folders (bool): Prefix bare image file names with their wnid folder
            (``<wnid>/<wnid>_<n>.JPEG``), where the OOD release keeps the images, so that
            mmdet's ``CocoDataset`` finds them. Defaults to False.

    Returns:
        dict[str, int]: ``annotations`` read, ``dropped_polygons`` and
        ``dropped_annotations``.
    """
    coco = load(ann_file)
    if 'annotations' not in coco:
        raise KeyError(f'{ann_file}: no "annotations" list; expected a COCO-style file')
    kept, stats = (
        [],
        dict(annotations=len(coco['annotations']), dropped_polygons=0, dropped_annotations=0),
    )
    for ann in coco['annotations']:
        segmentation = ann.get('segmentation')
        if isinstance(segmentation, list):
            polygons, dropped = valid_polygons(segmentation)
            stats['dropped_polygons'] += dropped
            if not polygons:
                stats['dropped_annotations'] += 1
                continue
            ann = dict(ann, segmentation=polygons)
        kept.append(ann)
    coco['annotations'] = kept
    if wnid_folders:
        coco['images'] = [
            dict(
                image, file_name=osp.join(osp.basename(image['file_name'])[:9], image['file_name'])
            )
            if '/' not in image['file_name']
            else image
            for image in coco['images']
        ]
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile('w', dir=out_dir, suffix='.json', delete=False) as tmp:
        json.dump(coco, tmp)
    os.replace(tmp.name, out_file)
    print_log(
        f'{ann_file} -> {out_file}: dropped {stats["dropped_polygons"]} degenerate '
        f'polygons (< 6 or an odd number of coordinates) and '
        f'{stats["dropped_annotations"]} annotations left without a polygon, of '
        f'{stats["annotations"]} annotations',
        logger='current',
    )
    return stats


def union_segmentation(
    segmentations: Sequence[Segmentation], height: int, width: int
) -> Segmentation:
    """The union of several COCO segmentations, kept compact.

    Polygon lists are concatenated (a COCO polygon list already means the union of its
    polygons). If any input is an RLE, everything is merged into one RLE whose counts are
    a ``str`` so that it pickles small.
    """
    if all(isinstance(segm, list) for segm in segmentations):
        return [poly for segm in segmentations for poly in segm]
    rles = [mask_ann_to_rle(segm, height, width) for segm in segmentations]
    rle = mask_utils.merge(rles)
    counts = rle['counts']
    return dict(
        size=[int(s) for s in rle['size']],
        counts=counts.decode('ascii') if isinstance(counts, bytes) else counts,
    )


def load_part_annotations(ann_file: str) -> dict:
    """Read a PartImageNet COCO-style file and group it into (image, part) samples.

    Hygiene, each step counted in ``stats``: polygons with fewer than 6 or an odd number
    of coordinates are dropped; annotations with ``area == 0`` or with no polygon left are
    dropped; samples whose union rasterises to an empty mask are dropped.

    Args:
        ann_file (str): Path of ``<split>.json``.

    Returns:
        dict: ``images`` (id -> image record), ``categories`` (category records sorted
        by id), ``file_categories`` (the same in file order), ``samples`` (dicts with
        ``image_id``, ``category_id``, ``ann_ids`` and the union ``segmentation``, sorted
        by image then category) and ``stats`` (counts of everything read and filtered).
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'PartImageNet annotation file not found: {ann_file!r} (docs/partimagenet.md; '
            'a synthetic stand-in: tools/dataset_converters/generate_partimagenet.py)'
        )
    coco = load_data_file(ann_file)
    for key in ('images', 'annotations', 'categories'):
        if key not in coco:
            raise KeyError(f'{ann_file}: no "{key}" list; expected a COCO-style file')
    categories = sorted(coco['categories'], key=lambda cat: cat['id'])
    for cat in categories:
        if 'supercategory' not in cat:
            raise KeyError(f'{ann_file}: category {cat} has no "supercategory"')
    category_ids = {cat['id'] for cat in categories}
    images = {img['id']: img for img in coco['images']}

    stats = dict(
        images=len(images),
        annotations=len(coco['annotations']),
        dropped_polygons=0,
        dropped_zero_area=0,
        dropped_no_polygon=0,
        dropped_empty_masks=0,
        multi_annotation_samples=0,
    )
    groups: Dict[Tuple[int, int], list] = {}
    for ann in coco['annotations']:
        image_id, category_id = ann['image_id'], ann['category_id']
        if category_id not in category_ids:
            raise ValueError(
                f'{ann_file}: annotation {ann["id"]} has category_id '
                f'{category_id}, not among the categories '
                f'{sorted(category_ids)}'
            )
        if image_id not in images:
            raise ValueError(
                f'{ann_file}: annotation {ann["id"]} refers to image_id '
                f'{image_id}, which is not in "images"'
            )
        if ann.get('area', 1) == 0:
            stats['dropped_zero_area'] += 1
            continue
        segmentation = ann['segmentation']
        if isinstance(segmentation, list):
            segmentation, dropped = valid_polygons(segmentation)
            stats['dropped_polygons'] += dropped
            if not segmentation:
                stats['dropped_no_polygon'] += 1
                continue
        groups.setdefault((image_id, category_id), []).append((ann['id'], segmentation))

    samples = []
    for (image_id, category_id), anns in sorted(groups.items()):
        image = images[image_id]
        segmentation = union_segmentation(
            [segm for _, segm in anns], image['height'], image['width']
        )
        rle = mask_ann_to_rle(segmentation, image['height'], image['width'])
        if mask_utils.area(rle) == 0:
            stats['dropped_empty_masks'] += 1
            continue
        stats['multi_annotation_samples'] += len(anns) > 1
        samples.append(
            dict(
                image_id=image_id,
                category_id=category_id,
                ann_ids=[ann_id for ann_id, _ in anns],
                segmentation=segmentation,
            )
        )
    stats['samples'] = len(samples)
    stats['images_with_samples'] = len({sample['image_id'] for sample in samples})
    return dict(
        images=images,
        categories=categories,
        file_categories=coco['categories'],
        samples=samples,
        stats=stats,
    )


# -------------------------------------------------------------------- dataset
@DATASETS.register_module()
class PartImageNetRefDataset(BaseRefDataset):
    """PartImageNet parts as referring expressions.

    Two release layouts are read:

    * ``layout='seg'`` (``PartImageNet_Seg``, same classes in every split): images at
      ``images/<split>/<wnid>_<n>.JPEG`` and annotations at
      ``annotations/<split>/<split>.json``; set
      ``data_prefix=dict(img_path='images/<split>')``.
    * ``layout='ood'`` (``PartImageNet_OOD``, disjoint classes per split): images at
      ``<split>/<wnid>/<wnid>_<n>.JPEG`` and annotations at ``<split>.json`` whose file
      names are bare; the wnid folder is prepended. Set
      ``data_prefix=dict(img_path='<split>')``.

    Expressions are rendered from ``templates``: ``{part}`` is the category name minus its
    superclass ("Car Side Mirror" -> "side mirror", "Tier" read as "tire"), ``{object}``
    the ImageNet name of the image's wnid (file name prefix; see
    :mod:`refseg.datasets.imagenet_classes`) and ``{superclass}`` a noun for the
    superclass (``SUPERCLASS_NOUNS``).

    Items follow the RefCOCO dataset contract (``img_path``, ``text``, ``mask_ann``,
    ``height``, ``width``, ``ref_id``, ``sent_id``, ``ann_id``, ``image_id``,
    ``category_id``) plus ``ann_ids`` (all annotations in the union; ``ann_id`` is the
    first), ``part_name``, ``object_name``, ``supercategory`` and ``wnid``. ``ref_id``
    numbers the (image, part) samples; ``sent_id = ref_id * len(templates) + template
    index`` is unique per (sample, template).

    Args:
        ann_file (str): The split's COCO-style file, relative to ``data_root``.
        templates (str | list[str]): Template names from ``TEMPLATES``
            (``'part_of_object'``, ``'possessive'``, ``'part_of_superclass'``,
            ``'part'``) or format strings. Defaults to ``'part_of_object'``.
        template_weights (list[float], optional): Sampling weights of ``templates`` in
            ``'random'`` mode. Defaults to uniform.
        sentence_mode (str, optional): ``'random'``: one item per sample, a template
            drawn on every access (training). ``'all'``: one item per (sample,
            template) (evaluation). ``'first'``: one item per sample with the first
            template. Defaults to ``'all'`` in test mode, else ``'random'``
            (:class:`BaseRefDataset`).
        layout (str): ``'seg'`` or ``'ood'``, see above. Defaults to ``'seg'``.
        synset_mapping_file (str, optional): ImageNet ``LOC_synset_mapping.txt``, used
            for wnids outside the shipped 158-class table.
        object_names (dict[str, str], optional): ``wnid -> name`` replacing the shipped
            names (applied last).
        superclass_nouns (dict[str, str], optional): Replaces entries of
            ``SUPERCLASS_NOUNS``; a superclass with no noun is lower-cased.
        strict (bool): Stop with a ``KeyError`` on a wnid without an object name.
            Defaults to False: such an ``{object}`` falls back to the superclass noun
            (or the wnid's lemma when ``synset_mapping_file`` knows it), and one
            warning lists the unknown wnids (also kept in ``unknown_wnids``).
        **kwargs: ``mmengine.dataset.BaseDataset`` arguments (``data_root``,
            ``data_prefix``, ``pipeline``, ``test_mode``, ``serialize_data`` ...).
    """

    def __init__(
        self,
        ann_file: str,
        templates: Union[str, Sequence[str]] = 'part_of_object',
        template_weights: Optional[Sequence[float]] = None,
        sentence_mode: Optional[str] = None,
        layout: str = 'seg',
        synset_mapping_file: Optional[str] = None,
        object_names: Optional[Dict[str, str]] = None,
        superclass_nouns: Optional[Dict[str, str]] = None,
        strict: bool = False,
        **kwargs,
    ) -> None:
        if layout not in ('seg', 'ood'):
            raise ValueError(f"layout must be 'seg' or 'ood', got {layout!r}")
        templates = [templates] if isinstance(templates, str) else list(templates)
        if not templates:
            raise ValueError('templates is empty: give at least one expression template')
        self.templates = [resolve_template(template) for template in templates]
        self.template_weights = self._check_weights(template_weights, len(templates))
        self.layout = layout
        self.synset_mapping_file = synset_mapping_file
        self.object_names = dict(object_names or {})
        self.superclass_nouns = {**SUPERCLASS_NOUNS, **(superclass_nouns or {})}
        self.strict = strict
        self.filter_stats: Dict[str, int] = {}
        self.unknown_wnids: List[str] = []
        super().__init__(
            ann_file=ann_file,
            sentence_mode=sentence_mode,
            sentence_weights=self.template_weights,
            **kwargs,
        )

    @staticmethod
    def _check_weights(weights: Optional[Sequence[float]], num: int) -> List[float]:
        if weights is None:
            return [1.0] * num
        weights = [float(w) for w in weights]
        if len(weights) != num or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(
                f'template_weights must be {num} non-negative numbers with a '
                f'positive sum (one per template), got {weights}'
            )
        return weights

    # ------------------------------------------------------------- loading
    def load_data_list(self) -> List[dict]:
        parts = load_part_annotations(self.ann_file)
        categories = {cat['id']: cat for cat in parts['categories']}
        part_names = {
            cat_id: part_word(cat['name'], cat['supercategory'])
            for cat_id, cat in categories.items()
        }
        self._metainfo.update(
            part_category_ids=tuple(categories),
            part_classes=tuple(cat['name'] for cat in categories.values()),
            part_names=tuple(part_names.values()),
            part_superclasses=tuple(cat['supercategory'] for cat in categories.values()),
        )
        object_names = self._object_name_table()

        data_list = []
        superclass_mismatches = []
        unknown_wnids: Dict[str, str] = {}
        for ref_id, sample in enumerate(parts['samples']):
            image = parts['images'][sample['image_id']]
            category = categories[sample['category_id']]
            file_name = image['file_name']
            wnid = self._wnid(file_name)
            superclass_noun = self.superclass_nouns.get(
                category['supercategory'], category['supercategory'].lower()
            )
            if wnid not in object_names:
                if self.strict:
                    raise KeyError(
                        f'{self.ann_file}: no object name for wnid {wnid!r} (image '
                        f'{file_name!r}): it is not among the 158 PartImageNet classes '
                        'in refseg.datasets.imagenet_classes; pass synset_mapping_file='
                        '"<path>/LOC_synset_mapping.txt" or object_names={wnid: name}, '
                        'or strict=False to use the superclass noun'
                    )
                unknown_wnids.setdefault(wnid, file_name)
            known = PARTIMAGENET_OBJECT_CLASSES.get(wnid)
            if known is not None and known[1] != category['supercategory']:
                superclass_mismatches.append((file_name, category['name'], known[1]))
            fields = dict(
                part=part_names[category['id']],
                object=object_names.get(wnid, superclass_noun),
                superclass=superclass_noun,
            )
            sentences = [template.format(**fields) for template in self.templates]
            info = dict(
                img_path=self._image_path(file_name, wnid),
                height=int(image['height']),
                width=int(image['width']),
                mask_ann=sample['segmentation'],
                ref_id=ref_id,
                ann_id=sample['ann_ids'][0],
                ann_ids=sample['ann_ids'],
                image_id=sample['image_id'],
                category_id=category['id'],
                part_name=fields['part'],
                object_name=fields['object'],
                supercategory=category['supercategory'],
                wnid=wnid,
                seg_fields=[],
                reduce_zero_label=False,
            )
            data_list.extend(
                self.expand_sentences(
                    info,
                    sentences,
                    [ref_id * len(sentences) + index for index in range(len(sentences))],
                )
            )

        self.filter_stats = parts['stats']
        self._log_stats(parts['stats'], superclass_mismatches)
        if unknown_wnids:
            print_log(
                f'{self.ann_file}: {len(unknown_wnids)} wnids have no object name (not '
                'among the 158 PartImageNet classes, no synset_mapping_file or object_names '
                'entry); their {object} is the superclass noun. wnid: first image: '
                f'{unknown_wnids}',
                logger='current',
                level=logging.WARNING,
            )
        self.unknown_wnids = sorted(unknown_wnids)
        return data_list

    def _object_name_table(self) -> Dict[str, str]:
        names = {wnid: name for wnid, (name, _) in PARTIMAGENET_OBJECT_CLASSES.items()}
        names.update(OBJECT_NAME_OVERRIDES)
        if self.synset_mapping_file is not None:
            for wnid, name in load_synset_mapping(self.synset_mapping_file).items():
                names.setdefault(wnid, name)
        names.update(self.object_names)
        return names

    def _wnid(self, file_name: str) -> str:
        wnid = osp.basename(file_name)[:9]
        if not is_wnid(wnid):
            raise ValueError(
                f'{self.ann_file}: image file name {file_name!r} does not '
                'start with an ImageNet wnid (expected "<wnid>_<n>.JPEG", '
                'e.g. "n01440764_10029.JPEG")'
            )
        return wnid

    def _image_path(self, file_name: str, wnid: str) -> str:
        prefix = self.data_prefix.get('img_path', '')
        if self.layout == 'ood' and '/' not in file_name:
            file_name = osp.join(wnid, file_name)
        return osp.join(prefix, file_name)

    def _log_stats(self, stats: Dict[str, int], superclass_mismatches: list) -> None:
        print_log(
            f'PartImageNet {self.ann_file}: {stats["images"]} images, '
            f'{stats["annotations"]} part annotations -> {stats["samples"]} (image, part) '
            f'samples ({stats["multi_annotation_samples"]} unions of several annotations); '
            f'dropped {stats["dropped_polygons"]} degenerate polygons, '
            f'{stats["dropped_zero_area"]} zero-area annotations, '
            f'{stats["dropped_no_polygon"]} annotations without a valid polygon, '
            f'{stats["dropped_empty_masks"]} empty masks',
            logger='current',
        )
        if superclass_mismatches:
            print_log(
                f'{len(superclass_mismatches)} samples have a part superclass that differs '
                'from the superclass of their wnid in refseg.datasets.imagenet_classes '
                f'(file, part, table superclass), first ones: {superclass_mismatches[:5]}',
                logger='current',
                level=logging.WARNING,
            )
