import json
import os
import os.path as osp
import pickle
from collections import Counter

import numpy as np
import pytest
from pycocotools.coco import COCO

from refseg.datasets import RefCOCODataset
from refseg.datasets import refcoco as refcoco_module
from refseg.datasets.refcoco import split_matches
from refseg.datasets.transforms import LoadRefMask

ITEM_KEYS = {
    'img_path',
    'height',
    'width',
    'text',
    'mask_ann',
    'ref_id',
    'sent_id',
    'ann_id',
    'image_id',
    'category_id',
    'seg_fields',
    'reduce_zero_label',
    'sample_idx',
}


def read_refer(root):
    with open(osp.join(root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    return instances, refs


def broken_copy(src_root, dst_root, edit_instances=None, edit_refs=None):
    """A copy of the synthetic dataset (images linked) with edited annotation files."""
    instances, refs = read_refer(src_root)
    if edit_instances is not None:
        edit_instances(instances)
    if edit_refs is not None:
        edit_refs(refs)
    os.makedirs(osp.join(dst_root, 'refcoco'))
    os.symlink(osp.join(src_root, 'train2014'), osp.join(dst_root, 'train2014'))
    with open(osp.join(dst_root, 'refcoco', 'instances.json'), 'w') as f:
        json.dump(instances, f)
    with open(osp.join(dst_root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f, protocol=2)
    return str(dst_root)


def build(root, **kwargs):
    # mmengine's serialisation runs gc.collect(), slow with torch loaded; most tests skip it.
    kwargs.setdefault('serialize_data', False)
    return RefCOCODataset(root, **kwargs)


def first_train_ref(refs):
    return next(ref for ref in refs if ref['split'] == 'train')


def test_split_matching_follows_refer():
    assert split_matches('train', 'train') and not split_matches('train', 'trainval')
    assert split_matches('testA', 'testA') and split_matches('testA', 'testAB')
    assert not split_matches('testA', 'testB') and not split_matches('testA', 'train')
    assert split_matches('test', 'testB') and split_matches('test', 'test')
    assert not split_matches('test', 'val')


@pytest.mark.parametrize('split', ['train', 'val', 'testA', 'testB', 'test'])
def test_counts_per_split(synthetic_refcoco_root, split):
    _, refs = read_refer(synthetic_refcoco_root)
    selected = [ref for ref in refs if split in ref['split']]
    assert selected, 'the fixture should have refs in every split'
    with open(osp.join(synthetic_refcoco_root, 'synthetic_refer.json')) as f:
        marker_counts = json.load(f)['counts']['splits']
    if split != 'test':
        assert len(selected) == marker_counts[split]['refs']

    first = build(synthetic_refcoco_root, split=split, sentence_mode='first')
    every = build(synthetic_refcoco_root, split=split, sentence_mode='all')
    random = build(synthetic_refcoco_root, split=split, sentence_mode='random')
    assert len(first) == len(random) == len(selected)
    assert len(every) == sum(len(ref['sentences']) for ref in selected)


def test_test_mode_scores_every_sentence_by_default(synthetic_refcoco_root):
    dataset = build(synthetic_refcoco_root, split='val', test_mode=True)
    every = build(synthetic_refcoco_root, split='val', sentence_mode='all')
    assert dataset.sentence_mode == 'all'
    assert [dataset.get_data_info(i)['sent_id'] for i in range(len(dataset))] == [
        every.get_data_info(i)['sent_id'] for i in range(len(every))
    ]


def test_all_mode_items_match_the_refer_files(synthetic_refcoco_root):
    instances, refs = read_refer(synthetic_refcoco_root)
    images = {image['id']: image for image in instances['images']}
    sentences = {s['sent_id']: (ref, s) for ref in refs for s in ref['sentences']}
    coco = COCO(osp.join(synthetic_refcoco_root, 'refcoco', 'instances.json'))
    dataset = build(synthetic_refcoco_root, split='val', sentence_mode='all')

    seen = set()
    for idx in range(len(dataset)):
        item = dataset.get_data_info(idx)
        assert set(item) == ITEM_KEYS
        ref, sentence = sentences[item['sent_id']]
        seen.add(item['sent_id'])
        assert item['text'] == sentence['sent']
        assert (item['ref_id'], item['ann_id'], item['image_id'], item['category_id']) == (
            ref['ref_id'],
            ref['ann_id'],
            ref['image_id'],
            ref['category_id'],
        )
        image = images[ref['image_id']]
        # The image comes from instances.json, not the ref's suffixed file_name.
        assert item['img_path'] == osp.join(synthetic_refcoco_root, 'train2014', image['file_name'])
        assert osp.basename(item['img_path']) != ref['file_name']
        assert (item['height'], item['width']) == (image['height'], image['width'])
        assert item['seg_fields'] == [] and item['reduce_zero_label'] is False
        mask = LoadRefMask()(dict(item))['gt_seg_map']
        np.testing.assert_array_equal(mask, coco.annToMask(coco.anns[ref['ann_id']]))
        assert mask.sum() > 0
    assert seen == {s['sent_id'] for ref in refs if ref['split'] == 'val' for s in ref['sentences']}


def test_random_mode_draws_a_sentence_on_every_access(synthetic_refcoco_root):
    _, refs = read_refer(synthetic_refcoco_root)
    by_ref = {ref['ref_id']: ref for ref in refs}
    dataset = build(synthetic_refcoco_root, split='train')
    np.random.seed(0)
    for idx in range(len(dataset)):
        ref = by_ref[dataset.get_data_info(idx)['ref_id']]
        drawn = Counter()
        for _ in range(40):
            item = dataset.get_data_info(idx)
            assert set(item) == ITEM_KEYS | {'sentences'}
            assert item['sentences'] == [s['sent'] for s in ref['sentences']]
            text_of_id = {s['sent_id']: s['sent'] for s in ref['sentences']}
            assert item['text'] == text_of_id[item['sent_id']]
            drawn[item['sent_id']] += 1
        # 2-3 sentences per ref, 40 draws: all of them show up.
        assert set(drawn) == {s['sent_id'] for s in ref['sentences']}


def test_first_mode_uses_sentence_zero(synthetic_refcoco_root):
    _, refs = read_refer(synthetic_refcoco_root)
    by_ref = {ref['ref_id']: ref for ref in refs}
    dataset = build(synthetic_refcoco_root, split='train', sentence_mode='first')
    for idx in range(len(dataset)):
        item = dataset.get_data_info(idx)
        first = by_ref[item['ref_id']]['sentences'][0]
        assert (item['text'], item['sent_id']) == (first['sent'], first['sent_id'])
        assert 'sentences' not in item


def test_raw_text_field(synthetic_refcoco_root):
    _, refs = read_refer(synthetic_refcoco_root)
    raw = {s['sent_id']: s['raw'].strip() for ref in refs for s in ref['sentences']}
    dataset = build(synthetic_refcoco_root, split='train', sentence_mode='all', text_field='raw')
    texts = [dataset.get_data_info(i)['text'] for i in range(len(dataset))]
    assert texts == [raw[dataset.get_data_info(i)['sent_id']] for i in range(len(dataset))]
    assert any(text[0].isupper() for text in texts)  # raw keeps the annotator's case


def test_sentence_without_the_text_field_is_named(synthetic_refcoco_root, tmp_path):
    def drop_raw(refs):
        del first_train_ref(refs)['sentences'][0]['raw']

    ref = first_train_ref(read_refer(synthetic_refcoco_root)[1])
    sent_id = ref['sentences'][0]['sent_id']
    root = broken_copy(synthetic_refcoco_root, tmp_path, edit_refs=drop_raw)
    with pytest.raises(KeyError, match=f"ref_id={ref['ref_id']}: sentence {sent_id} has no 'raw'"):
        build(root, split='train', text_field='raw')
    assert len(build(root, split='train')) > 0  # the default field is still there


@pytest.mark.parametrize('mode', ['all', 'random'])
def test_serialized_items_equal_plain_ones(synthetic_refcoco_root, mode):
    serialized = build(
        synthetic_refcoco_root, split='train', sentence_mode=mode, serialize_data=True
    )
    plain = build(synthetic_refcoco_root, split='train', sentence_mode=mode)
    assert serialized.data_list == [] and len(serialized.data_bytes) > 0
    assert len(serialized) == len(plain)
    for idx in range(len(plain)):
        np.random.seed(idx)
        left = serialized.get_data_info(idx)
        np.random.seed(idx)
        assert left == plain.get_data_info(idx)
    # Compact items: a few hundred bytes each, not decoded masks.
    assert len(serialized.data_bytes) / len(serialized) < 2000


def test_lazy_init_and_indices(synthetic_refcoco_root):
    lazy = build(synthetic_refcoco_root, split='train', sentence_mode='all', lazy_init=True)
    assert not lazy._fully_initialized
    full = build(synthetic_refcoco_root, split='train', sentence_mode='all')
    assert len(lazy) == len(full)
    subset = build(synthetic_refcoco_root, split='train', sentence_mode='all', indices=3)
    assert len(subset) == 3
    assert subset.metainfo['classes'] == ('background', 'object')
    assert subset.metainfo['palette'] == [[0, 0, 0], [255, 0, 0]]


@pytest.mark.parametrize('arg, value', [('sentence_mode', 'each'), ('text_field', 'tokens')])
def test_bad_arguments(synthetic_refcoco_root, arg, value):
    with pytest.raises(ValueError, match=f'{arg} must be one of .*{value}'):
        build(synthetic_refcoco_root, **{arg: value})


@pytest.mark.parametrize(
    'kwargs, missing',
    [
        (dict(ann_file='refcoco/nothing.json'), 'refcoco/nothing.json'),
        (dict(split_file='refcoco/refs(umd).p'), 'refcoco/refs(umd).p'),
        (dict(data_prefix=dict(img_path='val2014/')), 'val2014'),
    ],
)
def test_missing_files_are_named(synthetic_refcoco_root, kwargs, missing):
    with pytest.raises(FileNotFoundError, match=missing.replace('(', r'\(').replace(')', r'\)')):
        build(synthetic_refcoco_root, **kwargs)


def test_unknown_split_lists_the_available_ones(synthetic_refcoco_root):
    with pytest.raises(ValueError, match=r"'testC'.*\['testA', 'testB', 'train', 'val'\]"):
        build(synthetic_refcoco_root, split='testC')


def test_malformed_files_are_named(synthetic_refcoco_root, tmp_path):
    def drop_split(refs):
        del refs[2]['split']

    root = broken_copy(synthetic_refcoco_root, tmp_path / 'refs', edit_refs=drop_split)
    with pytest.raises(KeyError, match=r"ref 2 of .*refs\(unc\).p lacks \['split'\]"):
        build(root)
    root = broken_copy(
        synthetic_refcoco_root,
        tmp_path / 'instances',
        edit_instances=lambda instances: instances.pop('annotations'),
    )
    with pytest.raises(KeyError, match="instances.json has no 'annotations' list"):
        build(root)


def test_ref_with_missing_annotation(synthetic_refcoco_root, tmp_path):
    def drop_ann(instances):
        instances['annotations'] = [a for a in instances['annotations'] if a['id'] != ann_id]

    ref = first_train_ref(read_refer(synthetic_refcoco_root)[1])
    ann_id = ref['ann_id']
    root = broken_copy(synthetic_refcoco_root, tmp_path, edit_instances=drop_ann)
    with pytest.raises(KeyError, match=f'ref_id={ref["ref_id"]}: ann_id={ann_id}'):
        build(root, split='train')


def test_ref_with_missing_image(synthetic_refcoco_root, tmp_path):
    def drop_image(instances):
        instances['images'] = [i for i in instances['images'] if i['id'] != image_id]

    ref = first_train_ref(read_refer(synthetic_refcoco_root)[1])
    image_id = ref['image_id']
    root = broken_copy(synthetic_refcoco_root, tmp_path, edit_instances=drop_image)
    with pytest.raises(KeyError, match=f'ref_id={ref["ref_id"]}: image_id={image_id}'):
        build(root, split='train')


BAD_SEGMENTATIONS = {
    'empty polygon list': ([], 'the polygon list is empty'),
    'short polygon': ([[1.0, 1.0, 5.0, 1.0]], 'has 4 coordinates'),
    'odd polygon': ([[1.0, 1.0, 5.0, 1.0, 5.0, 5.0, 1.0]], 'has 7 coordinates'),
    'zero-area polygon': ([[3.0, 3.0, 3.0, 3.0, 3.0, 3.0]], 'the mask is empty'),
    'rle of another size': (dict(size=[10, 10], counts=[100]), r'RLE size is \[10, 10\]'),
}


@pytest.mark.parametrize('case', sorted(BAD_SEGMENTATIONS))
def test_invalid_mask_raises_naming_ann_and_ref(synthetic_refcoco_root, tmp_path, case):
    segmentation, message = BAD_SEGMENTATIONS[case]

    def break_mask(instances):
        for ann in instances['annotations']:
            if ann['id'] == ref['ann_id']:
                ann['segmentation'] = segmentation

    ref = first_train_ref(read_refer(synthetic_refcoco_root)[1])
    root = broken_copy(synthetic_refcoco_root, tmp_path, edit_instances=break_mask)
    with pytest.raises(
        ValueError, match=f'ref_id={ref["ref_id"]}, ann_id={ref["ann_id"]} .*{message}'
    ):
        build(root, split='train')


def test_skip_invalid_drops_and_logs(synthetic_refcoco_root, tmp_path, monkeypatch):
    instances, refs = read_refer(synthetic_refcoco_root)
    train_refs = [ref for ref in refs if ref['split'] == 'train']
    broken = {train_refs[0]['ann_id']: [], train_refs[1]['ann_id']: [[0.0, 0.0, 2.0, 0.0]]}

    def break_masks(instances):
        for ann in instances['annotations']:
            if ann['id'] in broken:
                ann['segmentation'] = broken[ann['id']]

    root = broken_copy(synthetic_refcoco_root, tmp_path, edit_instances=break_masks)
    logged = []
    monkeypatch.setattr(refcoco_module, 'print_log', lambda msg, **kwargs: logged.append(msg))
    dataset = build(root, split='train', sentence_mode='first', skip_invalid=True)
    assert len(dataset) == len(train_refs) - 2
    kept = {dataset.get_data_info(i)['ann_id'] for i in range(len(dataset))}
    assert not kept & set(broken)
    assert any(f'skipped 2 of {len(train_refs)} refs' in msg for msg in logged)
    assert any(f'{len(train_refs) - 2} refs' in msg for msg in logged)


def test_uncompressed_rle_is_stored_compressed(synthetic_refcoco_root, tmp_path):
    """Crowd-style RLE (list counts) loads, stays compact and decodes to the same mask."""
    ref = first_train_ref(read_refer(synthetic_refcoco_root)[1])
    coco = COCO(osp.join(synthetic_refcoco_root, 'refcoco', 'instances.json'))
    expected = coco.annToMask(coco.anns[ref['ann_id']])
    height, width = expected.shape
    runs, value, length = [], 0, 0  # COCO runs alternate 0s and 1s, column-major
    for pixel in expected.flatten(order='F'):
        if pixel == value:
            length += 1
        else:
            runs.append(length)
            value, length = pixel, 1
    runs.append(length)

    def to_rle(instances):
        for ann in instances['annotations']:
            if ann['id'] == ref['ann_id']:
                ann['segmentation'] = dict(size=[height, width], counts=runs)
                ann['iscrowd'] = 1

    root = broken_copy(synthetic_refcoco_root, tmp_path, edit_instances=to_rle)
    dataset = build(root, split='train', sentence_mode='all')
    item = next(
        dataset.get_data_info(i)
        for i in range(len(dataset))
        if dataset.get_data_info(i)['ann_id'] == ref['ann_id']
    )
    assert isinstance(item['mask_ann']['counts'], bytes)
    np.testing.assert_array_equal(LoadRefMask()(item)['gt_seg_map'], expected)


def test_test_mode_defaults_to_one_item_per_sentence(synthetic_refcoco_root):
    _, refs = read_refer(synthetic_refcoco_root)
    selected = [ref for ref in refs if ref['split'] == 'val']
    dataset = build(synthetic_refcoco_root, split='val', test_mode=True)
    assert dataset.sentence_mode == 'all'
    assert len(dataset) == sum(len(ref['sentences']) for ref in selected)
    assert build(synthetic_refcoco_root, split='val').sentence_mode == 'random'


def test_empty_sentences_warn_or_are_refused(synthetic_refcoco_root, tmp_path, monkeypatch):
    def blank(refs):
        first_train_ref(refs)['sentences'][0]['sent'] = '  '

    root = broken_copy(synthetic_refcoco_root, tmp_path / 'blank', edit_refs=blank)
    ref_id = first_train_ref(read_refer(root)[1])['ref_id']
    with pytest.raises(ValueError, match=f"1 sentences .* empty 'sent' .*ref_id={ref_id}"):
        build(root, refuse_empty_text=True)
    logged = []
    monkeypatch.setattr(refcoco_module, 'print_log', lambda msg, **kwargs: logged.append(msg))
    dataset = build(root, sentence_mode='all')
    assert '' in {dataset.get_data_info(i)['text'] for i in range(len(dataset))}
    assert any(f'ref_id={ref_id}' in msg and 'refuse_empty_text' in msg for msg in logged)


def test_an_undecodable_image_is_named(synthetic_refcoco_root, tmp_path):
    root = tmp_path / 'zero'
    os.makedirs(root / 'refcoco')
    for name in ('instances.json', 'refs(unc).p'):
        os.symlink(osp.join(synthetic_refcoco_root, 'refcoco', name), root / 'refcoco' / name)
    os.makedirs(root / 'train2014')
    dataset = build(
        str(root), split='val', sentence_mode='first', pipeline=[dict(type='LoadImageFromFile')]
    )
    broken = dataset.get_data_info(0)['img_path']
    for name in os.listdir(osp.join(synthetic_refcoco_root, 'train2014')):
        os.symlink(osp.join(synthetic_refcoco_root, 'train2014', name), root / 'train2014' / name)
    os.remove(broken)
    open(broken, 'wb').close()
    with pytest.raises(
        refcoco_module.DataItemError,
        match=f'item 0 .*cannot prepare image {broken} '
        r'\(the file is empty: 0 bytes\)',
    ):
        dataset[0]
