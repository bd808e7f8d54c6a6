"""An independent reading of the generated expressions.

Each sentence is parsed with regular expressions and evaluated on the stored object
attributes (not with the generator's resolver or its margins); it must pick out its
referent and nothing else.
"""

import json
import os.path as osp
import pickle
import re
from collections import Counter

import numpy as np
import pytest

from refseg.synthetic.world import COLOURS, PLURALS, SHAPES, SIZES

NOUNS = {'shape', 'object', 'one'}
SINGULAR = {plural: shape for shape, plural in PLURALS.items()}
SINGULAR.update(shapes='shape', objects='object', ones='one')


class Obj:
    def __init__(self, ann, shape_names):
        self.id = ann['id']
        self.shape = shape_names[ann['category_id']]
        self.colour = ann['attributes']['colour']
        self.size = ann['attributes']['size']
        self.x, self.y = ann['attributes']['center']
        self.area = ann['area']


def matching(objs, phrase):
    """Objects that fit a noun phrase '[size] [colour] noun' (noun singular or plural)."""
    words = phrase.split()
    assert words, phrase
    words[-1] = SINGULAR.get(words[-1], words[-1])
    assert words[-1] in set(SHAPES) | NOUNS, phrase
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


def only(objs):
    return objs[0] if len(objs) == 1 else None


def first(group, key, k):
    """The k objects with the smallest keys; all tied ones too when the cut is a tie."""
    values = sorted(key(o) for o in group)
    if len(group) < k:
        return []
    return [o for o in group if key(o) <= values[k - 1]]


def ranked(group, key, k):
    """The k-th object (1-based) in ascending key order; [] or several on ties."""
    if len(group) < k:
        return []
    values = sorted(key(o) for o in group)
    return [o for o in group if key(o) == values[k - 1]]


def nearest(group, x, y):
    return ranked(group, lambda o: np.hypot(o.x - x, o.y - y), 1)


NP = r'(?P<np>[a-z ]+?)'
LM = r'the (?P<lm>[a-z ]+)'
NUM = r'(?P<n>two|three)'
COUNTS = {'two': 2, 'three': 3}
AXIS = {
    'left': (lambda o: o.x),
    'right': (lambda o: -o.x),
    'top': (lambda o: o.y),
    'bottom': (lambda o: -o.y),
    'highest': (lambda o: o.y),
    'lowest': (lambda o: -o.y),
}
PATTERNS = [
    (rf'^{NUM} (?P<side>left|right|top|bottom)most {NP}$', 'first'),
    (rf'^{NUM} {NP} (on|at) the (?P<side>left|right|top|bottom)$', 'first'),
    (rf'^(?P<side>left|right|top|bottom)most {NP}$', 'extreme'),
    (rf'^(?P<side>highest|lowest) {NP}$', 'extreme'),
    (rf'^{NP} on the far (?P<side>left|right)$', 'extreme'),
    (rf'^{NP} at the very (?P<side>top|bottom)$', 'extreme'),
    (rf'^(?P<ord>second|third) {NP} from the (?P<side>left|right|top|bottom)$', 'ordinal'),
    (rf'^(?P<sup>biggest|largest|smallest) {NP}$', 'superlative'),
    (rf'^{NP} in the (?P<v>top|bottom) (?P<h>left|right) (corner|quarter)$', 'region'),
    (rf'^{NP} (on|in) the (?P<h>left|right) (side|half)$', 'region'),
    (rf'^{NP} in the (?P<v>top|upper|bottom|lower) half$', 'region'),
    (rf'^{NP} (closest to|nearest) the (centre|middle)$', 'centre'),
    (rf'^{NP} (to the )?(?P<rel>left|right) of {LM}$', 'relation'),
    (rf'^{NP} (?P<rel>above|below|under) {LM}$', 'relation'),
    (rf'^{NP} (next to|closest to|nearest) {LM}$', 'nearest'),
    (rf'^{NUM} {NP}$', 'count'),
]


def denote(sentence, objs, width, height):
    """The objects a sentence refers to under a plain reading (a list; ties give several).

    Singular selectors (extreme, ordinal, superlative, nearest) need a group of two or more
    to mean anything and denote nothing otherwise; a count ('the two stars', 'both stars')
    must match the number of objects, or the sentence is rejected (None).
    """
    sentence = re.sub(
        r'^(all the|the|all|both) ', lambda m: 'two ' if m[1] == 'both' else '', sentence
    )
    for pattern, kind in PATTERNS:
        match = re.match(pattern, sentence)
        if match is None:
            continue
        group = matching(objs, match['np'])
        if kind == 'first':
            return first(group, AXIS[match['side']], COUNTS[match['n']])
        if kind == 'count':
            return group if len(group) == COUNTS[match['n']] else None
        if kind == 'extreme':
            return ranked(group, AXIS[match['side']], 1) if len(group) > 1 else []
        if kind == 'ordinal':
            return ranked(group, AXIS[match['side']], {'second': 2, 'third': 3}[match['ord']])
        if kind == 'superlative':
            sign = 1 if match['sup'] == 'smallest' else -1
            return ranked(group, lambda o: sign * o.area, 1) if len(group) > 1 else []
        if kind == 'region':
            h, v = match.groupdict().get('h'), match.groupdict().get('v')
            return [
                o
                for o in group
                if (h is None or (o.x < width / 2) == (h == 'left'))
                and (v is None or (o.y < height / 2) == (v in ('top', 'upper')))
            ]
        if kind == 'centre':
            return nearest(group, width / 2, height / 2) if len(group) > 1 else []
        landmark = only(matching(objs, match['lm']))
        if landmark is None:
            return None  # a landmark must be unique
        group = [o for o in group if o is not landmark]
        if kind == 'nearest':
            return nearest(group, landmark.x, landmark.y) if len(group) > 1 else []
        side = {
            'left': lambda o: o.x < landmark.x,
            'right': lambda o: o.x > landmark.x,
            'above': lambda o: o.y < landmark.y,
            'below': lambda o: o.y > landmark.y,
            'under': lambda o: o.y > landmark.y,
        }[match['rel']]
        return [o for o in group if side(o)]
    return matching(objs, sentence)  # attributes only


def referent(sentence, objs, width, height):
    """The one object a singular sentence picks out, or None if not exactly one."""
    assert not set(sentence.split()) & set(SINGULAR), f'plural noun in {sentence!r}'
    return only(denote(sentence, objs, width, height) or [])


def read_world(root):
    with open(osp.join(root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    shape_names = {c['id']: c['name'] for c in instances['categories']}
    objs = {}
    for ann in instances['annotations']:
        objs.setdefault(ann['image_id'], []).append(Obj(ann, shape_names))
    images = {image['id']: image for image in instances['images']}
    return images, objs, refs


def kind_of(sentence):
    stripped = re.sub(r'^the ', '', sentence)
    for pattern, kind in PATTERNS:
        if re.match(pattern, stripped):
            return kind
    return 'attribute'


def test_every_expression_identifies_its_referent(world_root):
    images, objs, refs = read_world(world_root)
    kinds = Counter()
    for ref in refs:
        image = images[ref['image_id']]
        for sentence in ref['sentences']:
            found = referent(
                sentence['sent'], objs[ref['image_id']], image['width'], image['height']
            )
            assert found is not None and found.id == ref['ann_id'], (ref, sentence['sent'])
            kinds[kind_of(sentence['sent'])] += 1
    # Every kind of expression occurs, none dominates.
    assert set(kinds) == {
        'attribute',
        'extreme',
        'ordinal',
        'superlative',
        'region',
        'centre',
        'relation',
        'nearest',
    }, kinds
    assert max(kinds.values()) < 0.35 * sum(kinds.values()), kinds


def test_the_reader_rejects_wrong_expressions():
    shape_names = {1: 'circle', 2: 'square'}
    objs = [
        Obj(
            dict(id=i, category_id=c, area=a, attributes=dict(colour=col, size=s, center=xy)),
            shape_names,
        )
        for i, c, col, s, xy, a in [
            (1, 1, 'red', 'big', [20, 20], 900),
            (2, 1, 'red', 'small', [90, 70], 200),
            (3, 2, 'blue', 'small', [60, 30], 250),
            (4, 1, 'green', 'medium', [110, 20], 400),
        ]
    ]
    assert referent('the leftmost circle', objs, 128, 96).id == 1
    assert referent('the rightmost circle', objs, 128, 96).id == 4
    assert referent('the second circle from the left', objs, 128, 96).id == 2
    assert referent('the circle left of the blue square', objs, 128, 96).id == 1
    assert referent('the red circle', objs, 128, 96) is None
    assert referent('the smallest circle', objs, 128, 96).id == 2
    assert referent('the biggest red one', objs, 128, 96).id == 1
    assert referent('the circle in the top left corner', objs, 128, 96).id == 1
    assert referent('the circle in the top half', objs, 128, 96) is None
    assert referent('the circle next to the blue square', objs, 128, 96).id == 1
    assert referent('the second circle from the top', objs, 128, 96) is None  # tie
    assert referent('the circle nearest the middle', objs, 128, 96).id == 2
    assert referent('the red shape on the right side', objs, 128, 96).id == 2
    with pytest.raises(AssertionError, match='unexpected word'):
        referent('the shiny circle', objs, 128, 96)
    ids = lambda sentence: sorted(o.id for o in denote(sentence, objs, 128, 96))  # noqa
    assert ids('all the red circles') == [1, 2]
    assert ids('both red circles') == [1, 2]
    assert denote('the three red circles', objs, 128, 96) is None
    assert ids('the two leftmost circles') == [1, 2]
    assert ids('the two circles at the top') == [1, 4]
    assert ids('the circles in the top half') == [1, 4]
    assert ids('all the shapes right of the blue square') == [2, 4]
    assert ids('the blue circle') == []
    assert ids('the square left of the big circle') == []


def test_plural_nouns_cover_every_shape():
    assert set(PLURALS) == set(SHAPES)


def test_grefs_select_exactly_their_targets(world_root):
    images, objs, refs = read_world(world_root)
    split_of = {ref['image_id']: ref['split'] for ref in refs}
    with open(osp.join(world_root, 'refcoco', 'grefs(unc).json')) as f:
        grefs = json.load(f)
    with open(osp.join(world_root, 'refcoco', 'instances.json')) as f:
        category_of = {a['id']: a['category_id'] for a in json.load(f)['annotations']}
    kinds = Counter()
    sent_ids = []
    for ref in grefs:
        assert set(ref) == {
            'ref_id',
            'image_id',
            'ann_id',
            'category_id',
            'split',
            'file_name',
            'sentences',
            'sent_ids',
            'no_target',
        }
        image = images[ref['image_id']]
        assert ref['split'] == split_of[image['id']]
        if ref['no_target']:
            kind, targets = 'none', []
            assert ref['ann_id'] == [-1] and ref['category_id'] == [-1]
        elif isinstance(ref['ann_id'], int):
            kind, targets = 'single', [ref['ann_id']]
            assert ref['category_id'] == category_of[ref['ann_id']]
        else:
            kind, targets = 'multi', ref['ann_id']
            assert len(targets) >= 2
            assert ref['category_id'] == [category_of[i] for i in targets]
        kinds[kind] += 1
        stem = osp.splitext(image['file_name'])[0]
        assert ref['file_name'] == f'{stem}_{targets[0] if targets else -1}.jpg'
        assert ref['sent_ids'] == [s['sent_id'] for s in ref['sentences']]
        sent_ids += ref['sent_ids']
        for sentence in ref['sentences']:
            assert set(sentence) == {'sent', 'raw', 'tokens', 'sent_id'}
            assert sentence['tokens'] == sentence['sent'].split()
            assert sentence['raw'].lower() == sentence['sent']
            if kind == 'single':
                found = referent(
                    sentence['sent'], objs[image['id']], image['width'], image['height']
                )
                assert found is not None and found.id == targets[0], (ref, sentence)
            else:
                found = denote(sentence['sent'], objs[image['id']], image['width'], image['height'])
                assert found is not None, (ref, sentence)
                assert sorted(o.id for o in found) == sorted(targets), (ref, sentence)
    assert len(set(sent_ids)) == len(sent_ids)
    assert [ref['ref_id'] for ref in grefs] == list(range(1, len(grefs) + 1))
    share = {kind: count / len(grefs) for kind, count in kinds.items()}
    assert 0.5 < share['single'] < 0.7 and 0.15 < share['multi'] < 0.35, share
    assert 0.07 < share['none'] < 0.25, share
