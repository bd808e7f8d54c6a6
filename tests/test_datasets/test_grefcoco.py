"""GRefCOCODataset on files written in the released gRefCOCO format."""

import copy
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from mmcv.transforms import LoadImageFromFile

from refseg.datasets import GRefCOCODataset
from refseg.datasets.transforms import LoadRefMask, PackRefSegInputs
from refseg.synthetic.text_blind import gres_text_blind
from script_loader import load_script

HEIGHT, WIDTH = 24, 32
SQUARE = [[2, 2, 10, 2, 10, 10, 2, 10]]
TWO_PARTS = [[14, 2, 20, 2, 20, 8, 14, 8], [24, 14, 30, 14, 30, 20, 24, 20]]
BOTTOM = [[2, 14, 12, 14, 12, 22, 2, 22]]


def sentence(sent_id, text):
    return dict(tokens=text.split(), raw=text.capitalize() + ' ', sent=text, sent_id=sent_id)


def crowd_rle():
    """A crowd region as COCO stores it: an uncompressed RLE (column-major run lengths)."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[16:20, 20:28] = 1
    runs, value, count = [], 0, 0
    for pixel in mask.flatten(order='F'):
        if pixel == value:
            count += 1
        else:
            runs.append(count)
            value, count = pixel, 1
    runs.append(count)
    return dict(size=[HEIGHT, WIDTH], counts=runs)


def grefcoco_files():
    """instances.json and grefs(unc).json as released: two images, four objects (one in two
    polygon parts, one crowd region), refs with one, several and no target."""
    images = [
        dict(id=7, file_name='COCO_train2014_000000000007.jpg', height=HEIGHT, width=WIDTH),
        dict(id=9, file_name='COCO_train2014_000000000009.jpg', height=HEIGHT, width=WIDTH),
    ]
    annotations = [
        dict(id=101, image_id=7, category_id=1, iscrowd=0, segmentation=SQUARE),
        dict(id=102, image_id=7, category_id=1, iscrowd=0, segmentation=TWO_PARTS),
        dict(id=103, image_id=7, category_id=3, iscrowd=1, segmentation=crowd_rle()),
        dict(id=201, image_id=9, category_id=2, iscrowd=0, segmentation=BOTTOM),
    ]
    refs = [
        dict(
            ref_id=0,
            image_id=7,
            ann_id=101,
            category_id=1,
            split='train',
            file_name='COCO_train2014_000000000007_101.jpg',
            sent_ids=[0, 1],
            sentences=[sentence(0, 'left person'), sentence(1, 'person top left')],
            no_target=False,
        ),
        dict(
            ref_id=1,
            image_id=7,
            ann_id=[101, 102],
            category_id=[1, 1],
            split='train',
            file_name='COCO_train2014_000000000007_101.jpg',
            sent_ids=[2],
            sentences=[sentence(2, 'both people')],
            no_target=False,
        ),
        dict(
            ref_id=2,
            image_id=7,
            ann_id=[-1],
            category_id=[-1],
            split='train',
            file_name='COCO_train2014_000000000007_-1.jpg',
            sent_ids=[3],
            sentences=[sentence(3, 'the giraffe')],
            no_target=True,
        ),
        dict(
            ref_id=3,
            image_id=7,
            ann_id=[102, 103],
            category_id=[1, 3],
            split='val',
            file_name='COCO_train2014_000000000007_102.jpg',
            sent_ids=[4, 5],
            sentences=[sentence(4, 'person and crowd'), sentence(5, 'right things')],
            no_target=False,
        ),
        dict(
            ref_id=4,
            image_id=9,
            ann_id=[-1],
            category_id=[-1],
            split='val',
            file_name='COCO_train2014_000000000009_-1.jpg',
            sent_ids=[6],
            sentences=[sentence(6, 'the red car')],
            no_target=True,
        ),
        dict(
            ref_id=5,
            image_id=9,
            ann_id=201,
            category_id=2,
            split='val',
            file_name='COCO_train2014_000000000009_201.jpg',
            sent_ids=[],
            sentences=[],
            no_target=False,
        ),
        dict(
            ref_id=6,
            image_id=9,
            ann_id=201,
            category_id=2,
            split='testA',
            file_name='COCO_train2014_000000000009_201.jpg',
            sent_ids=[7],
            sentences=[sentence(7, 'bottom thing')],
            no_target=False,
        ),
    ]
    instances = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=i, name=str(i)) for i in (1, 2, 3)],
    )
    return instances, refs


def write_root(root, instances, refs):
    os.makedirs(osp.join(root, 'grefcoco'), exist_ok=True)
    os.makedirs(osp.join(root, 'images', 'train2014'), exist_ok=True)
    with open(osp.join(root, 'grefcoco', 'instances.json'), 'w') as f:
        json.dump(instances, f)
    with open(osp.join(root, 'grefcoco', 'grefs(unc).json'), 'w') as f:
        json.dump(refs, f)
    for image in instances['images']:
        path = osp.join(root, 'images', 'train2014', image['file_name'])
        if not osp.exists(path):
            mmcv.imwrite(np.full((HEIGHT, WIDTH, 3), 128, np.uint8), path)
    return str(root)


@pytest.fixture
def grefcoco_root(tmp_path):
    return write_root(tmp_path, *grefcoco_files())


def build(root, **kwargs):
    kwargs.setdefault('serialize_data', False)
    return GRefCOCODataset(root, **kwargs)


def decode(segmentation):
    rles = mask_utils.frPyObjects(segmentation, HEIGHT, WIDTH)
    if isinstance(rles, list):
        rles = mask_utils.merge(rles)
    return mask_utils.decode(rles).astype(bool)


def target(item):
    return LoadRefMask()(dict(item))['gt_seg_map'].astype(bool)


def test_items_and_targets(grefcoco_root):
    instances, refs = grefcoco_files()
    train = build(grefcoco_root, split='train', sentence_mode='all', test_mode=True)
    assert [(i['ref_id'], i['text']) for i in (train.get_data_info(k) for k in range(4))] == [
        (0, 'left person'),
        (0, 'person top left'),
        (1, 'both people'),
        (2, 'the giraffe'),
    ]
    single, _, multi, none = (train.get_data_info(k) for k in range(4))
    # Images are found through image_id, not the ref's suffixed file_name.
    assert single['img_path'].endswith(osp.join('train2014', 'COCO_train2014_000000000007.jpg'))
    assert (single['no_target'], single['num_targets'], single['ann_id']) == (False, 1, [101])
    assert np.array_equal(target(single), decode(SQUARE))
    # Several targets: the union of the objects, one of them in two polygon parts.
    assert (multi['no_target'], multi['num_targets'], multi['ann_id']) == (False, 2, [101, 102])
    union = decode(SQUARE) | decode(TWO_PARTS)
    assert np.array_equal(target(multi), union)
    assert decode(TWO_PARTS)[4, 16] and decode(TWO_PARTS)[16, 26]  # both parts are there
    assert multi['category_id'] == [1, 1]
    # No target: an empty mask, flagged.
    assert (none['no_target'], none['num_targets'], none['ann_id']) == (True, 0, [])
    assert none['mask_ann'] is None and not target(none).any()


def test_splits_sentence_modes_and_dropped_refs(grefcoco_root):
    assert len(build(grefcoco_root, split='train')) == 3  # random: one item per ref
    assert len(build(grefcoco_root, split='train', sentence_mode='first')) == 3
    val = build(grefcoco_root, split='val', sentence_mode='all', test_mode=True)
    # ref 5 has no sentences (as some released val refs): dropped, not an error.
    assert [val.get_data_info(k)['sent_id'] for k in range(len(val))] == [4, 5, 6]
    assert len(build(grefcoco_root, split='testA', sentence_mode='all')) == 1
    with pytest.raises(ValueError, match="split 'testB' selects no ref"):
        build(grefcoco_root, split='testB')
    raw = build(grefcoco_root, split='train', sentence_mode='all', text_field='raw')
    assert raw.get_data_info(0)['text'] == 'Left person'


def test_crowd_regions_follow_rela_unless_asked(grefcoco_root):
    default = build(grefcoco_root, split='val', sentence_mode='all').get_data_info(0)
    assert np.array_equal(target(default), decode(TWO_PARTS))  # crowd 103 left out
    assert default['num_targets'] == 2  # the objects the ref names
    with_crowd = build(
        grefcoco_root, split='val', sentence_mode='all', include_crowd=True
    ).get_data_info(0)
    crowd = np.zeros((HEIGHT, WIDTH), bool)
    crowd[16:20, 20:28] = True
    assert np.array_equal(target(with_crowd), decode(TWO_PARTS) | crowd)
    assert with_crowd['num_targets'] == 2


def test_pipeline_packs_the_gres_metainfo(grefcoco_root):
    pipeline = [LoadImageFromFile(), LoadRefMask(), PackRefSegInputs()]
    dataset = build(grefcoco_root, split='train', sentence_mode='all', pipeline=pipeline)
    packed = dataset[3]['data_samples']
    assert packed.no_target is True and packed.num_targets == 0
    assert packed.gt_sem_seg.data.sum() == 0
    packed = dataset[2]['data_samples']
    assert packed.no_target is False and packed.num_targets == 2
    assert packed.gt_sem_seg.data.sum() == (decode(SQUARE) | decode(TWO_PARTS)).sum()


@pytest.mark.parametrize(
    'field, value, message',
    [
        ('ann_id', 'abc', "ann_id='abc'"),
        ('ann_id', [], 'ann_id=[]'),
        ('ann_id', [-1, 101], 'mixes -1'),
        ('ann_id', [101, 101], 'repeats'),
        ('no_target', True, 'no_target=True contradicts'),
        ('ann_id', 999, 'ann_id=999 is not an annotation'),
        ('ann_id', 201, 'belongs to image_id=9'),
        ('image_id', 5, 'image_id=5 is not an image'),
    ],
)
def test_malformed_refs_name_the_ref_and_field(tmp_path, field, value, message):
    instances, refs = grefcoco_files()
    refs[1][field] = value
    root = write_root(tmp_path, instances, refs)
    with pytest.raises((ValueError, KeyError), match='ref_id=1') as info:
        build(root, split='train')
    assert message in str(info.value)


def test_invalid_masks_raise_or_are_skipped(tmp_path):
    instances, refs = grefcoco_files()
    instances['annotations'][1]['segmentation'] = [[1, 2, 3]]
    root = write_root(tmp_path, instances, refs)
    with pytest.raises(ValueError, match='ref_id=1 .*ann_id=102: polygon 0 has 3'):
        build(root, split='train')
    assert len(build(root, split='train', skip_invalid=True)) == 2


def test_missing_keys_and_wrong_file(tmp_path):
    instances, refs = grefcoco_files()
    broken = copy.deepcopy(refs)
    del broken[0]['sentences']
    root = write_root(tmp_path, instances, broken)
    with pytest.raises(KeyError, match=r"ref 0 of .*grefs\(unc\).json lacks \['sentences'\]"):
        build(root)
    with open(osp.join(root, 'grefcoco', 'grefs(unc).json'), 'w') as f:
        json.dump(dict(refs=refs), f)
    with pytest.raises(TypeError, match='expected a JSON list'):
        build(root)


def test_check_grefcoco_counts_and_problems(grefcoco_root, capsys):
    tool = load_script('tools/dataset_converters/check_grefcoco.py')
    assert tool.main([grefcoco_root, '--check-images', '--expected-expressions', '8']) == 0
    out = capsys.readouterr().out
    assert 'train           1        3            4        2        1        1' in out
    assert 'val             2        3            3        0        2        1' in out
    assert '8 expressions (3 single, 3 multi, 2 no target)' in out
    assert '1 x ref without sentences: ref_id=5' in out
    # The released file's published total does not match this tiny one.
    assert tool.main([grefcoco_root, '--strict']) == 1
    assert 'MISMATCH: 8 expressions, published 259,859' in capsys.readouterr().out
    os.remove(osp.join(grefcoco_root, 'images', 'train2014', 'COCO_train2014_000000000009.jpg'))
    assert (
        tool.main([grefcoco_root, '--check-images', '--strict', '--expected-expressions', '8']) == 1
    )
    assert '1 x image file missing' in capsys.readouterr().out


def test_gres_text_blind_rules(grefcoco_root):
    results = gres_text_blind(
        grefcoco_root,
        split='train',
        ann_file='grefcoco/instances.json',
        split_file='grefcoco/grefs(unc).json',
        img_prefix='images/train2014/',
    )
    # Expressions: 'left person' x 2 (one target), 'both people', 'the giraffe' (none).
    empty = results['empty']
    assert (empty['gIoU'], empty['N-acc'], empty['T-acc']) == (25.0, 100.0, 0.0)
    union = decode(SQUARE) | decode(TWO_PARTS)  # the crowd region is not an object
    single_iou = decode(SQUARE).sum() / union.sum()
    everything = results['all']
    assert everything['gIoU'] == pytest.approx(100 * (2 * single_iou + 1 + 0) / 4)
    assert everything['cIoU'] == pytest.approx(
        100 * (2 * decode(SQUARE).sum() + union.sum()) / (4 * union.sum())
    )
    assert (everything['N-acc'], everything['T-acc']) == (0.0, 100.0)


def test_text_blind_baselines_gres_table(grefcoco_root, capsys):
    tool = load_script('tools/analysis_tools/text_blind_baselines.py')
    args = [grefcoco_root, '--split', 'train', '--ann-file', 'grefcoco/instances.json']
    assert tool.parse_args(args + ['--gres']).split_file == 'refcoco/grefs(unc).json'
    assert tool.parse_args(args).split_file == 'refcoco/refs(unc).p'
    args += ['--split-file', 'grefcoco/grefs(unc).json', '--img-prefix', 'images/train2014/']
    assert tool.main(args + ['--gres']) == 0
    out = capsys.readouterr().out
    assert "Text-blind rules on split 'train' of" in out and '(gRES):' in out
    assert '| text-blind rule | gIoU | cIoU | N-acc | T-acc | Prec@70 | expressions |' in out
    assert '| always empty | 25.00 | 0.00 | 100.00 | 0.00 | 0.00 | 4 |' in out
    for rule in ('union of all objects', 'largest object', 'centre-most object', 'random'):
        assert f'| {rule}' in out
