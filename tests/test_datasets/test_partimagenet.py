"""PartImageNetRefDataset on the generated PartImageNet look-alike."""

import contextlib
import json
import logging
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from pycocotools import mask as mask_utils

from refseg.datasets.base_ref_dataset import DataItemError
from refseg.datasets.imagenet_classes import OBJECT_NAME_OVERRIDES, PARTIMAGENET_OBJECT_CLASSES
from refseg.datasets.partimagenet import (
    PARTIMAGENET_CATEGORIES,
    SUPERCLASS_NOUNS,
    TEMPLATES,
    PartImageNetRefDataset,
    load_part_annotations,
    part_word,
    union_segmentation,
)
from refseg.registry import DATASETS
from refseg.structures.coco_mask import decode_mask_ann
from refseg.synthetic.partimagenet import generate_partimagenet

NUM_IMAGES = dict(train=11, val=3, test=3)


@pytest.fixture(scope='module')
def seg_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('partimagenet'))
    generate_partimagenet(root, num_images=NUM_IMAGES, image_size=(48, 96))
    return root


def build(root, split='train', **kwargs):
    kwargs.setdefault('data_prefix', dict(img_path=f'images/{split}'))
    return PartImageNetRefDataset(
        ann_file=f'annotations/{split}/{split}.json', data_root=root, **kwargs
    )


def read_coco(root, split='train'):
    with open(osp.join(root, 'annotations', split, f'{split}.json')) as f:
        return json.load(f)


def expected_samples(coco):
    """(image_id, category_id) -> annotation ids that survive the hygiene rules."""
    groups = {}
    for ann in coco['annotations']:
        valid = [p for p in ann['segmentation'] if len(p) >= 6 and len(p) % 2 == 0]
        if ann['area'] == 0 or not valid:
            continue
        image = next(i for i in coco['images'] if i['id'] == ann['image_id'])
        rle = mask_utils.merge(mask_utils.frPyObjects(valid, image['height'], image['width']))
        groups.setdefault((ann['image_id'], ann['category_id']), []).append(
            (ann['id'], mask_utils.area(rle))
        )
    return {
        key: [i for i, _ in anns] for key, anns in groups.items() if sum(a for _, a in anns) > 0
    }


def test_one_sample_per_image_and_part(seg_root):
    dataset = build(seg_root, test_mode=True)
    expected = expected_samples(read_coco(seg_root))
    got = {
        (item['image_id'], item['category_id']): item['ann_ids']
        for item in (dataset.get_data_info(i) for i in range(len(dataset)))
    }
    assert got == expected
    # Several feet / tires / wings: some samples are unions of several annotations.
    assert any(len(ann_ids) > 1 for ann_ids in got.values())
    assert dataset.filter_stats['samples'] == len(expected)


def test_hygiene_counts(seg_root):
    stats = build(seg_root).filter_stats
    # The generator's defects: a 4-coordinate polygon and an odd-length one, an annotation
    # with area 0, one left without any valid polygon, one whose union is empty.
    assert stats['dropped_polygons'] == 2
    assert stats['dropped_zero_area'] == 1
    assert stats['dropped_no_polygon'] == 1
    assert stats['dropped_empty_masks'] == 1
    coco = read_coco(seg_root)
    assert stats['images'] == len(coco['images'])
    assert stats['annotations'] == len(coco['annotations'])


def test_target_is_union_of_annotations(seg_root):
    init_default_scope('refseg')
    dataset = build(
        seg_root,
        test_mode=True,
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadRefMask')],
    )
    coco = read_coco(seg_root)
    anns = {ann['id']: ann for ann in coco['annotations']}
    index = next(i for i in range(len(dataset)) if len(dataset.get_data_info(i)['ann_ids']) > 1)
    info = dataset.get_data_info(index)
    results = dataset[index]
    h, w = info['height'], info['width']
    expected = np.zeros((h, w), np.uint8)
    for ann_id in info['ann_ids']:
        expected |= decode_mask_ann(anns[ann_id]['segmentation'], h, w)
    assert results['img'].shape[:2] == (h, w)
    np.testing.assert_array_equal(results['gt_seg_map'], expected)
    assert expected.sum() > 0


def test_union_of_rle_and_polygons_is_one_compact_rle():
    square = [[0, 0, 4, 0, 4, 4, 0, 4]]
    other = mask_utils.frPyObjects([[6, 6, 9, 6, 9, 9, 6, 9]], 10, 10)[0]
    union = union_segmentation([square, other], 10, 10)
    assert isinstance(union['counts'], str) and union['size'] == [10, 10]
    mask = decode_mask_ann(union, 10, 10)
    expected = decode_mask_ann(square, 10, 10) | mask_utils.decode(other).astype(np.uint8)
    np.testing.assert_array_equal(mask, expected)
    # Polygons only: the lists are concatenated, nothing is rasterised.
    assert union_segmentation([square, square], 10, 10) == square + square


def test_category_zero_is_a_real_part(seg_root):
    dataset = build(seg_root, test_mode=True)
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    zero = [item for item in items if item['category_id'] == 0]
    assert zero, 'Quadruped Head (id 0) must give samples'
    assert all(
        item['part_name'] == 'head' and item['supercategory'] == 'Quadruped' for item in zero
    )
    assert dataset.metainfo['part_category_ids'][0] == 0
    assert dataset.metainfo['part_classes'][0] == 'Quadruped Head'


def test_item_contract(seg_root):
    dataset = build(seg_root, test_mode=True)
    item = dataset.get_data_info(0)
    for key in (
        'img_path',
        'height',
        'width',
        'text',
        'mask_ann',
        'ref_id',
        'sent_id',
        'ann_id',
        'ann_ids',
        'image_id',
        'category_id',
        'part_name',
        'object_name',
        'supercategory',
        'seg_fields',
        'reduce_zero_label',
    ):
        assert key in item, key
    assert osp.isfile(item['img_path'])
    assert item['ann_id'] == item['ann_ids'][0]
    wnid = osp.basename(item['img_path'])[:9]
    name = OBJECT_NAME_OVERRIDES.get(wnid, PARTIMAGENET_OBJECT_CLASSES[wnid][0])
    assert item['object_name'] == name
    assert item['text'] == f'the {item["part_name"]} of the {name}'


def test_part_words():
    assert part_word('Car Tier', 'Car') == 'tire'
    assert part_word('Bicycle Tier', 'Bicycle') == 'tire'
    assert part_word('Car Side Mirror', 'Car') == 'side mirror'
    assert part_word('Quadruped Head', 'Quadruped') == 'head'
    with pytest.raises(ValueError, match="'Car Body'.*'Boat'"):
        part_word('Car Body', 'Boat')
    words = {part_word(name, superclass) for _, name, superclass in PARTIMAGENET_CATEGORIES}
    assert words == {
        'body',
        'engine',
        'fin',
        'foot',
        'hand',
        'head',
        'mouth',
        'sail',
        'seat',
        'side mirror',
        'tail',
        'tire',
        'wing',
    }


def test_all_mode_gives_one_item_per_template(seg_root):
    templates = ['part_of_object', 'possessive', 'part_of_superclass', 'part']
    single = build(seg_root, test_mode=True)
    dataset = build(seg_root, test_mode=True, templates=templates)
    assert len(dataset) == 4 * len(single)
    items = [dataset.get_data_info(i) for i in range(4)]
    part, obj = items[0]['part_name'], items[0]['object_name']
    noun = SUPERCLASS_NOUNS[items[0]['supercategory']]
    assert [item['text'] for item in items] == [
        f'the {part} of the {obj}',
        f"the {obj}'s {part}",
        f'the {part} of the {noun}',
        part,
    ]
    assert len({item['ref_id'] for item in items}) == 1
    sent_ids = [dataset.get_data_info(i)['sent_id'] for i in range(len(dataset))]
    assert len(set(sent_ids)) == len(sent_ids)


def test_random_mode_draws_a_template_per_access(seg_root):
    dataset = build(seg_root, templates=['part_of_object', 'part'], template_weights=[0.5, 0.5])
    assert dataset.sentence_mode == 'random'
    assert len(dataset) == len(build(seg_root, test_mode=True))
    np.random.seed(0)
    infos = [dataset.get_data_info(0) for _ in range(40)]
    texts = {info['text'] for info in infos}
    assert texts == set(infos[0]['sentences'])
    assert all(
        info['sent_id'] == 2 * info['ref_id'] + info['sentences'].index(info['text'])
        for info in infos
    )
    # A zero weight is never drawn.
    only_first = build(seg_root, templates=['part_of_object', 'part'], template_weights=[1.0, 0.0])
    assert {only_first.get_data_info(0)['text'] for _ in range(20)} == {
        only_first.get_data_info(0)['sentences'][0]
    }


def test_expressions_fit_cris_context_length():
    from mmseg.utils.tokenizer import _tokenizer

    longest = 0
    for wnid, (name, superclass) in PARTIMAGENET_OBJECT_CLASSES.items():
        name = OBJECT_NAME_OVERRIDES.get(wnid, name)
        for _, category, category_superclass in PARTIMAGENET_CATEGORIES:
            if category_superclass != superclass:
                continue
            fields = dict(
                part=part_word(category, superclass),
                object=name,
                superclass=SUPERCLASS_NOUNS[superclass],
            )
            for template in TEMPLATES.values():
                text = template.format(**fields)
                longest = max(longest, len(_tokenizer.encode(text)) + 2)
    assert longest <= 17


def test_shipped_name_table():
    counts = {}
    for _, superclass in PARTIMAGENET_OBJECT_CLASSES.values():
        counts[superclass] = counts.get(superclass, 0) + 1
    # The README's class counts per superclass (Car after its 23 -> 19 fix).
    assert counts == dict(
        Quadruped=46,
        Biped=17,
        Fish=10,
        Bird=14,
        Snake=15,
        Reptile=20,
        Car=19,
        Bicycle=6,
        Boat=4,
        Aeroplane=2,
        Bottle=5,
    )
    assert set(OBJECT_NAME_OVERRIDES) <= set(PARTIMAGENET_OBJECT_CLASSES)
    assert OBJECT_NAME_OVERRIDES['n03947888'] == 'pirate ship'


def test_bad_arguments(seg_root):
    with pytest.raises(ValueError, match='fields'):
        build(seg_root, templates='the {colour} {part}')
    with pytest.raises(ValueError, match='fields'):
        build(seg_root, templates='the {object}')
    with pytest.raises(ValueError, match='template_weights'):
        build(seg_root, templates=['part', 'possessive'], template_weights=[1.0])
    with pytest.raises(ValueError, match='layout'):
        build(seg_root, layout='flat')
    with pytest.raises(ValueError, match='sentence_mode'):
        build(seg_root, sentence_mode='each')
    with pytest.raises(FileNotFoundError, match='missing.json'):
        PartImageNetRefDataset(ann_file='missing.json', data_root=seg_root)


def write_variant(seg_root, tmp_path, edit):
    """A copy of the train annotations changed by ``edit(coco)``."""
    coco = read_coco(seg_root)
    edit(coco)
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(coco))
    return str(path)


def test_bad_files_name_the_problem(seg_root, tmp_path):
    def unknown_category(coco):
        coco['annotations'][3]['category_id'] = 77

    ann_file = write_variant(seg_root, tmp_path, unknown_category)
    with pytest.raises(ValueError, match=r'annotation \d+ has category_id 77'):
        load_part_annotations(ann_file)

    def no_wnid(coco):
        coco['images'][0]['file_name'] = 'dog_1.JPEG'

    ann_file = write_variant(seg_root, tmp_path, no_wnid)
    with pytest.raises(ValueError, match="'dog_1.JPEG'.*wnid"):
        PartImageNetRefDataset(ann_file=ann_file)


@contextlib.contextmanager
def captured_warnings():
    """Messages of level WARNING logged to the current MMLogger (print_log for real)."""
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Collect()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def test_superclass_mismatch_is_a_warning(seg_root, tmp_path):
    coco = read_coco(seg_root)
    image = coco['images'][1]
    wnid = image['file_name'][:9]
    superclass = PARTIMAGENET_OBJECT_CLASSES[wnid][1]
    other = next(w for w, (_, s) in PARTIMAGENET_OBJECT_CLASSES.items() if s != superclass)

    def move(coco):
        coco['images'][1]['file_name'] = other + coco['images'][1]['file_name'][9:]

    ann_file = write_variant(seg_root, tmp_path, move)
    with captured_warnings() as warnings:
        dataset = PartImageNetRefDataset(ann_file=ann_file, test_mode=True)
    assert len(dataset) > 0
    assert [w for w in warnings if 'differs' in w and other in w]


def test_unknown_wnid_falls_back_unless_strict(seg_root, tmp_path):
    def rename(coco):
        coco['images'][0]['file_name'] = 'n09999999_1.JPEG'

    ann_file = write_variant(seg_root, tmp_path, rename)
    with pytest.raises(KeyError, match='n09999999.*synset_mapping_file'):
        PartImageNetRefDataset(ann_file=ann_file, test_mode=True, strict=True)
    # Not strict: the superclass noun stands in, and one warning names the wnid.
    with captured_warnings() as warnings:
        dataset = PartImageNetRefDataset(ann_file=ann_file, test_mode=True)
    assert dataset.unknown_wnids == ['n09999999']
    assert [w for w in warnings if 'n09999999' in w and 'superclass noun' in w]
    first = dataset.get_data_info(0)
    assert first['image_id'] == 1
    assert first['object_name'] == SUPERCLASS_NOUNS[first['supercategory']]
    assert first['text'].endswith(f'of the {first["object_name"]}')
    shipped_wnid = read_coco(seg_root)['images'][1]['file_name'][:9]
    mapping = tmp_path / 'LOC_synset_mapping.txt'
    mapping.write_text(f'{shipped_wnid} other name, x\nn09999999 blue gizmo, gadget\n')
    dataset = PartImageNetRefDataset(
        ann_file=ann_file, synset_mapping_file=str(mapping), test_mode=True
    )
    names = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        names.setdefault(info['image_id'], set()).add(info['object_name'])
    assert names[1] == {'blue gizmo'}
    # The mapping file only fills gaps: shipped names stay.
    shipped = OBJECT_NAME_OVERRIDES.get(shipped_wnid, PARTIMAGENET_OBJECT_CLASSES[shipped_wnid][0])
    assert names[2] == {shipped}
    # object_names wins over both.
    dataset = PartImageNetRefDataset(
        ann_file=ann_file, test_mode=True, object_names={'n09999999': 'widget'}
    )
    assert dataset.get_data_info(0)['object_name'] == 'widget'


def test_ood_layout(tmp_path):
    root = str(tmp_path / 'ood')
    generate_partimagenet(root, num_images=dict(val=2), layout='ood', image_size=(48, 64))
    dataset = PartImageNetRefDataset(
        ann_file='val.json',
        data_root=root,
        layout='ood',
        data_prefix=dict(img_path='val'),
        test_mode=True,
    )
    item = dataset.get_data_info(0)
    wnid = item['wnid']
    assert item['img_path'] == osp.join(root, 'val', wnid, osp.basename(item['img_path']))
    assert osp.isfile(item['img_path'])
    # The Seg layout on the same files looks for images without the wnid folder.
    seg = PartImageNetRefDataset(
        ann_file='val.json', data_root=root, data_prefix=dict(img_path='val'), test_mode=True
    )
    assert not osp.isfile(seg.get_data_info(0)['img_path'])


def test_built_from_config_with_pipeline(seg_root):
    from mmengine.config import Config

    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(repo, 'configs/_base_/datasets/partimagenet.py'))
    init_default_scope('refseg')
    for key, split in (('train_dataloader', 'train'), ('test_dataloader', 'test')):
        dataset_cfg = cfg[key].dataset
        dataset_cfg.data_root = seg_root
        dataset = DATASETS.build(dataset_cfg)
        sample = dataset[0]['data_samples']
        assert dataset_cfg.ann_file == f'annotations/{split}/{split}.json'
        assert sample.category_id == dataset.get_data_info(0)['category_id']
        assert sample.part_name and sample.object_name and sample.supercategory
        assert dataset[0]['inputs'].shape == (3, 416, 416)
    # Test items keep the mask at the original size, for the metric.
    assert tuple(sample.gt_sem_seg.data.shape[-2:]) == tuple(sample.ori_shape)


@pytest.mark.parametrize(
    'name,layout,ann_file',
    [
        ('partimagenet_ood.py', 'ood', 'val.json'),
        ('partimagenet_synthetic.py', 'seg', 'annotations/val/val.json'),
    ],
)
def test_variant_dataset_configs(name, layout, ann_file):
    from mmengine.config import Config

    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(repo, 'configs/_base_/datasets', name))
    dataset = cfg.val_dataloader.dataset
    assert dataset.get('layout', 'seg') == layout
    assert dataset.ann_file == ann_file
    assert dataset.test_mode and cfg.val_evaluator.type == 'PartRefSegMetric'
    assert cfg.test_dataloader.dataset.data_root == dataset.data_root
    assert cfg.train_dataloader.dataset.data_root == dataset.data_root


def test_an_undecodable_image_is_named(seg_root, tmp_path):
    root = str(tmp_path / 'copy')
    shutil.copytree(seg_root, root)
    dataset = build(root, split='val', pipeline=[dict(type='LoadImageFromFile')])
    broken = dataset.get_data_info(0)['img_path']
    open(broken, 'wb').close()
    with pytest.raises(
        DataItemError,
        match=f'item 0 .*cannot prepare image {broken} '
        r'\(the file is empty: 0 bytes\)',
    ):
        dataset[0]
