import filecmp
import json
import os
import os.path as osp
import pickle
import re
from collections import Counter

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from mmengine.registry import init_default_scope

from refseg.datasets import synthetic
from refseg.datasets.synthetic import (SHAPES, ensure_synthetic_refer,
                                       generate_synthetic_refer)
from refseg.registry import DATASETS

COLOURS = {'red', 'green', 'blue', 'yellow', 'purple'}
SIZES = {'small', 'big'}
NOUNS = {'shape', 'object', 'one'}


def read(root):
    with open(osp.join(root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    return instances, refs


@pytest.fixture(scope='module')
def larger_root(tmp_path_factory):
    """80 images at the default size: enough to meet every kind of expression."""
    root = str(tmp_path_factory.mktemp('synthetic_80'))
    generate_synthetic_refer(root, num_images=80, seed=3, progress=False)
    return root


# ---------------------------------------------------------------------------------------
# An independent reading of the expressions: parse the sentence, then check on the stored
# shape attributes (not the generator's resolver) that it points at the referent alone.

class Obj:

    def __init__(self, ann, shape_names):
        self.id = ann['id']
        self.shape = shape_names[ann['category_id']]
        self.colour = ann['attributes']['colour']
        self.size = ann['attributes']['size']
        self.x, self.y = ann['attributes']['center']
        self.radius = ann['attributes']['radius']


def matching(objs, phrase):
    words = phrase.split()
    assert words and words[-1] in set(SHAPES) | NOUNS, phrase
    wanted = {}
    for word in words:
        if word in COLOURS:
            wanted['colour'] = word
        elif word in SIZES:
            wanted['size'] = word
        elif word in SHAPES:
            wanted['shape'] = word
        else:
            assert word in NOUNS, f'unexpected word {word!r} in {phrase!r}'
    return [o for o in objs if all(getattr(o, k) == v for k, v in wanted.items())]


def only(objs, condition):
    chosen = [o for o in objs if condition(o)]
    return chosen[0] if len(chosen) == 1 else None


def extreme(group, key, largest):
    if len(group) < 2:
        return None
    values = sorted(key(o) for o in group)
    best = values[-1] if largest else values[0]
    if values.count(best) > 1:
        return None
    return only(group, lambda o: key(o) == best)


NP = r'(?P<np>[a-z ]+?)'
LM = r'the (?P<lm>[a-z ]+)'
SIDE = {'left': (lambda o: o.x, False), 'right': (lambda o: o.x, True),
        'top': (lambda o: o.y, False), 'upper': (lambda o: o.y, False),
        'highest': (lambda o: o.y, False), 'bottom': (lambda o: o.y, True),
        'lower': (lambda o: o.y, True), 'lowest': (lambda o: o.y, True)}


def referent(sentence, objs, width, height):
    """The object the sentence picks out under a plain reading, or None if not exactly one."""
    sentence = re.sub(r'^the ', '', sentence)
    patterns = [
        (rf'^(?P<side>left|right|top|bottom)most {NP}$', 'extreme'),
        (rf'^(?P<side>highest|lowest|left|right|upper|lower|top|bottom) {NP}$', 'extreme'),
        (rf'^{NP} on the (far )?(?P<side>left|right)$', 'extreme'),
        (rf'^{NP} at the (?P<side>top|bottom)$', 'extreme'),
        (rf'^{NP} in the (?P<v>top|bottom) (?P<h>left|right) corner$', 'quadrant'),
        (rf'^(?P<v>top|bottom)-(?P<h>left|right) {NP}$', 'quadrant'),
        (rf'^{NP} at the (?P<v>top|bottom) (?P<h>left|right)$', 'quadrant'),
        (rf'^{NP} (to the )?(?P<rel>left|right) of {LM}$', 'relation'),
        (rf'^{NP} (?P<rel>above|below|under) {LM}$', 'relation'),
        (rf'^(?P<sup>largest|biggest|smallest) {NP}$', 'superlative'),
    ]
    for pattern, kind in patterns:
        match = re.match(pattern, sentence)
        if match is None:
            continue
        group = matching(objs, match['np'])
        if kind == 'extreme':
            key, largest = SIDE[match['side']]
            return extreme(group, key, largest)
        if kind == 'quadrant':
            if len(group) < 2:
                return None
            return only(group, lambda o: ((o.x < width / 2) == (match['h'] == 'left')
                                          and (o.y < height / 2) == (match['v'] == 'top')))
        if kind == 'relation':
            landmarks = matching(objs, match['lm'])
            if len(landmarks) != 1:
                return None
            lm = landmarks[0]
            side = {'left': lambda o: o.x < lm.x, 'right': lambda o: o.x > lm.x,
                    'above': lambda o: o.y < lm.y, 'below': lambda o: o.y > lm.y,
                    'under': lambda o: o.y > lm.y}[match['rel']]
            return only([o for o in group if o is not lm], side)
        return extreme(group, lambda o: o.radius, match['sup'] != 'smallest')
    group = matching(objs, sentence)  # attributes only
    return group[0] if len(group) == 1 else None


def test_every_expression_identifies_its_referent(larger_root):
    instances, refs = read(larger_root)
    shape_names = {c['id']: c['name'] for c in instances['categories']}
    images = {image['id']: image for image in instances['images']}
    objs = {}
    for ann in instances['annotations']:
        objs.setdefault(ann['image_id'], []).append(Obj(ann, shape_names))
    kinds = Counter()
    for ref in refs:
        image = images[ref['image_id']]
        for sentence in ref['sentences']:
            found = referent(sentence['sent'], objs[ref['image_id']], image['width'],
                             image['height'])
            assert found is not None and found.id == ref['ann_id'], (ref, sentence['sent'])
            words = set(sentence['tokens'])
            kinds['spatial' if words & {'left', 'right', 'top', 'bottom', 'leftmost',
                                        'rightmost', 'topmost', 'bottommost', 'highest',
                                        'lowest', 'upper', 'lower'} else 'other'] += 1
            kinds['relation' if words & {'of', 'above', 'below', 'under'} else 'plain'] += 1
            kinds['superlative' if words & {'largest', 'biggest', 'smallest'} else 'no'] += 1
    assert min(kinds['spatial'], kinds['relation'], kinds['superlative']) > 5, kinds


def test_the_checker_rejects_wrong_expressions():
    objs = [Obj(dict(id=i, category_id=c, attributes=dict(colour=col, size=s, center=xy,
                                                          radius=r)), {1: 'circle', 2: 'square'})
            for i, c, col, s, xy, r in [(1, 1, 'red', 'big', [20, 20], 20),
                                        (2, 1, 'red', 'small', [90, 70], 10),
                                        (3, 2, 'blue', 'small', [60, 30], 11)]]
    assert referent('the leftmost circle', objs, 128, 96).id == 1
    assert referent('the rightmost circle', objs, 128, 96).id == 2
    assert referent('the circle left of the blue square', objs, 128, 96).id == 1
    assert referent('the red circle', objs, 128, 96) is None
    assert referent('the smallest circle', objs, 128, 96).id == 2
    assert referent('the top-left circle', objs, 128, 96).id == 1


# ---------------------------------------------------------------------------------------

def test_files_follow_the_refer_format(synthetic_refcoco_root):
    instances, refs = read(synthetic_refcoco_root)
    assert set(instances) == {'images', 'annotations', 'categories'}
    assert [c['name'] for c in instances['categories']] == list(SHAPES)
    images = {image['id']: image for image in instances['images']}
    anns_of = {}
    for ann in instances['annotations']:
        assert ann['iscrowd'] == 0
        polygon, = ann['segmentation']
        assert len(polygon) >= 6 and len(polygon) % 2 == 0
        image = images[ann['image_id']]
        rle = mask_utils.frPyObjects(ann['segmentation'], image['height'], image['width'])[0]
        assert ann['area'] == pytest.approx(float(mask_utils.area(rle)))
        assert ann['bbox'] == pytest.approx(mask_utils.toBbox(rle).tolist(), abs=0.01)
        anns_of.setdefault(ann['image_id'], []).append(mask_utils.decode(rle))
    for image_id, masks in anns_of.items():
        assert 2 <= len(masks) <= 5
        assert all(mask.sum() > 60 for mask in masks)  # radius >= 10 px
        assert np.stack(masks).sum(0).max() == 1  # shapes never overlap
        assert osp.isfile(osp.join(synthetic_refcoco_root, 'train2014',
                                   images[image_id]['file_name']))

    split_of_image = {}
    sent_ids = [s['sent_id'] for ref in refs for s in ref['sentences']]
    assert len(set(sent_ids)) == len(sent_ids)
    assert [ref['ref_id'] for ref in refs] == list(range(1, len(refs) + 1))
    for ref in refs:
        assert set(ref) == {'ref_id', 'ann_id', 'image_id', 'category_id', 'split',
                            'file_name', 'sent_ids', 'sentences'}
        assert ref['file_name'] == (osp.splitext(images[ref['image_id']]['file_name'])[0]
                                    + f'_{ref["ann_id"]}.jpg')
        assert 2 <= len(ref['sentences']) <= 3
        assert ref['sent_ids'] == [s['sent_id'] for s in ref['sentences']]
        for sentence in ref['sentences']:
            assert set(sentence) == {'raw', 'sent', 'sent_id', 'tokens'}
            assert sentence['tokens'] == sentence['sent'].split()
            assert sentence['raw'].lower() == sentence['sent']
        assert split_of_image.setdefault(ref['image_id'], ref['split']) == ref['split']
    assert Counter(split_of_image.values()) == {'train': 8, 'val': 2, 'testA': 1, 'testB': 1}


def test_a_text_blind_guess_is_often_wrong(larger_root):
    """Picking the most salient (largest) shape, the best guess without the text, fails."""
    instances, refs = read(larger_root)
    area = {ann['id']: ann['area'] for ann in instances['annotations']}
    largest = {}
    for ann in instances['annotations']:
        best = largest.get(ann['image_id'])
        if best is None or ann['area'] > area[best]:
            largest[ann['image_id']] = ann['id']
    hits = [largest[ref['image_id']] == ref['ann_id'] for ref in refs]
    objects_per_image = len(instances['annotations']) / len(instances['images'])
    assert objects_per_image > 2.5
    assert np.mean(hits) < 0.5
    # Several referents per image: the image alone cannot tell which one is meant.
    assert len(refs) / len(instances['images']) > 1.5


def test_generation_is_deterministic(tmp_path):
    args = dict(num_images=6, image_size=(64, 72), seed=5, progress=False)
    counts = generate_synthetic_refer(str(tmp_path / 'a'), **args)
    assert generate_synthetic_refer(str(tmp_path / 'b'), **args) == counts
    comparison = filecmp.dircmp(tmp_path / 'a', tmp_path / 'b')
    files = []
    for sub in ('', 'train2014', 'refcoco'):
        names = sorted(os.listdir(tmp_path / 'a' / sub))
        names = [n for n in names if osp.isfile(tmp_path / 'a' / sub / n)]
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a' / sub, tmp_path / 'b' / sub,
                                                   names, shallow=False)
        assert not mismatch and not errors
        files += match
    assert len(files) == 6 + 3 and not comparison.left_only and not comparison.right_only
    generate_synthetic_refer(str(tmp_path / 'c'), **dict(args, seed=6))
    assert not filecmp.cmp(tmp_path / 'a' / 'refcoco' / 'instances.json',
                           tmp_path / 'c' / 'refcoco' / 'instances.json', shallow=False)


def test_counts_returned_match_the_files(synthetic_refcoco_root):
    instances, refs = read(synthetic_refcoco_root)
    with open(osp.join(synthetic_refcoco_root, synthetic.MARKER)) as f:
        marker = json.load(f)
    counts = marker['counts']
    assert marker['complete'] and marker['args']['num_images'] == 12
    assert counts['images'] == len(instances['images']) == 12
    assert counts['annotations'] == len(instances['annotations'])
    assert counts['refs'] == len(refs)
    assert counts['sentences'] == sum(len(ref['sentences']) for ref in refs)
    assert sum(c['refs'] for c in counts['splits'].values()) == len(refs)


@pytest.mark.parametrize('kwargs, message', [
    (dict(image_size=(48, 128)), 'at least 64x64'),
    (dict(num_images=3), 'too small for one image'),
    (dict(splits={'train': 1, 'val': 0}), 'positive weights'),
])
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
        patch.setattr(synthetic, 'generate_synthetic_refer', fail)
        assert ensure_synthetic_refer(root, **args) == counts

    assert ensure_synthetic_refer(root, **dict(args, num_images=4))['images'] == 4
    assert len(os.listdir(osp.join(root, 'train2014'))) == 4  # old images removed

    # An interrupted generation (marker not complete) is redone.
    marker_path = osp.join(root, synthetic.MARKER)
    with open(marker_path) as f:
        marker = json.load(f)
    with open(marker_path, 'w') as f:
        json.dump(dict(marker, complete=False), f)
    assert ensure_synthetic_refer(root, **dict(args, num_images=4))['images'] == 4
    with open(marker_path) as f:
        assert json.load(f)['complete']


def test_foreign_folders_are_never_overwritten(tmp_path):
    os.makedirs(tmp_path / 'refcoco')
    (tmp_path / 'refcoco' / 'instances.json').write_text('{}')
    with pytest.raises(FileExistsError, match='not written by the synthetic generator'):
        ensure_synthetic_refer(str(tmp_path), num_images=4, progress=False)
    assert (tmp_path / 'refcoco' / 'instances.json').read_text() == '{}'


def test_synthetic_dataset_generates_on_first_use(tmp_path):
    init_default_scope('refseg')
    root = str(tmp_path / 'data')
    cfg = dict(type='SyntheticRefDataset', data_root=root, split='val', sentence_mode='all',
               serialize_data=False,
               generate_cfg=dict(num_images=8, image_size=(64, 64), progress=False),
               pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadRefMask')])
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
