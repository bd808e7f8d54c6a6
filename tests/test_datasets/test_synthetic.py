import filecmp
import json
import os
import os.path as osp
import pickle
from collections import Counter

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from mmengine.registry import init_default_scope

from refseg.registry import DATASETS
from refseg.synthetic import SHAPES, ensure_synthetic_refer, generate, generate_synthetic_refer
from refseg.synthetic.writers import MARKER


def read(root):
    with open(osp.join(root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    return instances, refs


def test_files_follow_the_refer_format(synthetic_refcoco_root):
    instances, refs = read(synthetic_refcoco_root)
    assert set(instances) == {'images', 'annotations', 'categories'}
    assert [c['name'] for c in instances['categories']] == list(SHAPES)
    images = {image['id']: image for image in instances['images']}
    anns_of = {}
    for ann in instances['annotations']:
        assert ann['iscrowd'] == 0
        (polygon,) = ann['segmentation']
        assert len(polygon) >= 6 and len(polygon) % 2 == 0
        image = images[ann['image_id']]
        rle = mask_utils.frPyObjects(ann['segmentation'], image['height'], image['width'])[0]
        assert ann['area'] == pytest.approx(float(mask_utils.area(rle)))
        assert ann['bbox'] == pytest.approx(mask_utils.toBbox(rle).tolist(), abs=0.01)
        anns_of.setdefault(ann['image_id'], []).append(mask_utils.decode(rle))
    for image_id, masks in anns_of.items():
        assert 4 <= len(masks) <= 8
        assert all(mask.sum() > 0 for mask in masks)
        assert np.stack(masks).sum(0).max() == 1  # shapes never overlap
        assert osp.isfile(
            osp.join(synthetic_refcoco_root, 'train2014', images[image_id]['file_name'])
        )

    split_of_image = {}
    sent_ids = [s['sent_id'] for ref in refs for s in ref['sentences']]
    assert len(set(sent_ids)) == len(sent_ids)
    assert [ref['ref_id'] for ref in refs] == list(range(1, len(refs) + 1))
    for ref in refs:
        assert set(ref) == {
            'ref_id',
            'ann_id',
            'image_id',
            'category_id',
            'split',
            'file_name',
            'sent_ids',
            'sentences',
        }
        assert ref['file_name'] == (
            osp.splitext(images[ref['image_id']]['file_name'])[0] + f'_{ref["ann_id"]}.jpg'
        )
        assert 2 <= len(ref['sentences']) <= 3
        assert ref['sent_ids'] == [s['sent_id'] for s in ref['sentences']]
        for sentence in ref['sentences']:
            assert set(sentence) == {'raw', 'sent', 'sent_id', 'tokens'}
            assert sentence['tokens'] == sentence['sent'].split()
            assert sentence['raw'].lower() == sentence['sent']
        assert split_of_image.setdefault(ref['image_id'], ref['split']) == ref['split']
    assert Counter(split_of_image.values()) == {'train': 8, 'val': 2, 'testA': 1, 'testB': 1}


def test_generation_is_deterministic(tmp_path):
    args = dict(num_images=6, image_size=(64, 72), seed=5, progress=False)
    counts = generate_synthetic_refer(str(tmp_path / 'a'), **args)
    assert generate_synthetic_refer(str(tmp_path / 'b'), **args) == counts
    comparison = filecmp.dircmp(tmp_path / 'a', tmp_path / 'b')
    files = []
    for sub in ('', 'train2014', 'refcoco'):
        names = sorted(os.listdir(tmp_path / 'a' / sub))
        names = [n for n in names if osp.isfile(tmp_path / 'a' / sub / n)]
        match, mismatch, errors = filecmp.cmpfiles(
            tmp_path / 'a' / sub, tmp_path / 'b' / sub, names, shallow=False
        )
        assert not mismatch and not errors
        files += match
    assert len(files) == 6 + 4 + 4 and not comparison.left_only and not comparison.right_only
    generate_synthetic_refer(str(tmp_path / 'c'), **dict(args, seed=6))
    assert not filecmp.cmp(
        tmp_path / 'a' / 'refcoco' / 'instances.json',
        tmp_path / 'c' / 'refcoco' / 'instances.json',
        shallow=False,
    )


def test_counts_returned_match_the_files(synthetic_refcoco_root):
    instances, refs = read(synthetic_refcoco_root)
    with open(osp.join(synthetic_refcoco_root, MARKER)) as f:
        marker = json.load(f)
    counts = marker['counts']
    assert marker['complete'] and marker['args']['num_images'] == 12
    assert counts['images'] == len(instances['images']) == 12
    assert counts['annotations'] == len(instances['annotations'])
    assert counts['refs'] == len(refs)
    assert counts['sentences'] == sum(len(ref['sentences']) for ref in refs)
    assert sum(c['refs'] for c in counts['splits'].values()) == len(refs)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(image_size=(48, 128)), 'at least 64x64'),
        (dict(num_images=3), 'too small for one image'),
        (dict(splits={'train': 1, 'val': 0}), 'positive weights'),
    ],
)
def test_bad_generation_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_synthetic_refer(str(tmp_path), progress=False, **kwargs)


def test_ensure_generates_once_and_regenerates_on_new_arguments(tmp_path, monkeypatch):
    root = str(tmp_path / 'synthetic')
    args = dict(num_images=5, image_size=(64, 64), seed=1, progress=False)
    counts = ensure_synthetic_refer(root, **args)
    assert counts['images'] == 5

    def fail(*args, **kwargs):
        raise AssertionError('should not regenerate')

    with monkeypatch.context() as patch:
        patch.setattr(generate, 'generate_synthetic_refer', fail)
        assert ensure_synthetic_refer(root, **args) == counts

    assert ensure_synthetic_refer(root, **dict(args, num_images=4))['images'] == 4
    assert len(os.listdir(osp.join(root, 'train2014'))) == 4  # old images removed

    # An interrupted generation (marker not complete) is redone.
    marker_path = osp.join(root, MARKER)
    with open(marker_path) as f:
        marker = json.load(f)
    with open(marker_path, 'w') as f:
        json.dump(dict(marker, complete=False), f)
    assert ensure_synthetic_refer(root, **dict(args, num_images=4))['images'] == 4
    with open(marker_path) as f:
        marker = json.load(f)
    assert marker['complete']

    # A world written by an older generator is redone.
    marker['args']['generator_version'] -= 1
    with open(marker_path, 'w') as f:
        json.dump(marker, f)
    ensure_synthetic_refer(root, **dict(args, num_images=4))
    with open(marker_path) as f:
        assert json.load(f)['args']['generator_version'] == generate.GENERATOR_VERSION


def test_foreign_folders_are_never_overwritten(tmp_path):
    os.makedirs(tmp_path / 'refcoco')
    (tmp_path / 'refcoco' / 'instances.json').write_text('{}')
    with pytest.raises(FileExistsError, match='not written by the synthetic generator'):
        ensure_synthetic_refer(str(tmp_path), num_images=4, progress=False)
    assert (tmp_path / 'refcoco' / 'instances.json').read_text() == '{}'


def test_synthetic_dataset_generates_on_first_use(tmp_path):
    init_default_scope('refseg')
    root = str(tmp_path / 'data')
    cfg = dict(
        type='SyntheticRefDataset',
        data_root=root,
        split='val',
        sentence_mode='all',
        serialize_data=False,
        generate_cfg=dict(num_images=8, image_size=(64, 64), progress=False),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadRefMask')],
    )
    dataset = DATASETS.build(cfg)
    _, refs = read(root)
    val_sentences = sum(len(r['sentences']) for r in refs if r['split'] == 'val')
    assert len(dataset) == val_sentences > 0
    sample = dataset[0]
    assert sample['img'].shape == (64, 64, 3)
    assert sample['gt_seg_map'].shape == (64, 64) and sample['gt_seg_map'].max() == 1
    # A second dataset over the same folder reuses the files.
    before = os.stat(osp.join(root, 'refcoco', 'instances.json')).st_mtime_ns
    DATASETS.build(dict(cfg, split='train', sentence_mode='random'))
    assert os.stat(osp.join(root, 'refcoco', 'instances.json')).st_mtime_ns == before
