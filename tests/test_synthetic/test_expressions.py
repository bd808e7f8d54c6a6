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


class Obj:

    def __init__(self, ann, shape_names):
        self.id = ann['id']
        self.shape = shape_names[ann['category_id']]
        self.colour = ann['attributes']['colour']
        self.size = ann['attributes']['size']
        self.x, self.y = ann['attributes']['center']
        self.area = ann['area']


def matching(objs, phrase):
    """Objects that fit a noun phrase '[size] [colour] noun'."""
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


def only(objs):
    return objs[0] if len(objs) == 1 else None


def ranked(group, key, k):
    """The k-th object (1-based) in ascending key order, None on ties around it."""
    if len(group) < k:
        return None
    values = sorted(key(o) for o in group)
    if values.count(values[k - 1]) > 1:
        return None
    return only([o for o in group if key(o) == values[k - 1]])


def nearest(group, x, y):
    return ranked(group, lambda o: np.hypot(o.x - x, o.y - y), 1)


NP = r'(?P<np>[a-z ]+?)'
LM = r'the (?P<lm>[a-z ]+)'
AXIS = {'left': (lambda o: o.x), 'right': (lambda o: -o.x), 'top': (lambda o: o.y),
        'bottom': (lambda o: -o.y), 'highest': (lambda o: o.y),
        'lowest': (lambda o: -o.y)}
PATTERNS = [
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
]


def referent(sentence, objs, width, height):
    """The object a sentence picks out under a plain reading, or None if not exactly one."""
    sentence = re.sub(r'^the ', '', sentence)
    for pattern, kind in PATTERNS:
        match = re.match(pattern, sentence)
        if match is None:
            continue
        group = matching(objs, match['np'])
        if kind == 'extreme':
            return ranked(group, AXIS[match['side']], 1) if len(group) > 1 else None
        if kind == 'ordinal':
            return ranked(group, AXIS[match['side']], {'second': 2, 'third': 3}[match['ord']])
        if kind == 'superlative':
            sign = 1 if match['sup'] == 'smallest' else -1
            return ranked(group, lambda o: sign * o.area, 1) if len(group) > 1 else None
        if kind == 'region':
            h, v = match.groupdict().get('h'), match.groupdict().get('v')
            inside = [o for o in group
                      if (h is None or (o.x < width / 2) == (h == 'left'))
                      and (v is None or (o.y < height / 2) == (v in ('top', 'upper')))]
            return only(inside)
        if kind == 'centre':
            return nearest(group, width / 2, height / 2)
        landmark = only(matching(objs, match['lm']))
        if landmark is None:
            return None
        group = [o for o in group if o is not landmark]
        if kind == 'nearest':
            return nearest(group, landmark.x, landmark.y)
        side = {'left': lambda o: o.x < landmark.x, 'right': lambda o: o.x > landmark.x,
                'above': lambda o: o.y < landmark.y, 'below': lambda o: o.y > landmark.y,
                'under': lambda o: o.y > landmark.y}[match['rel']]
        return only([o for o in group if side(o)])
    return only(matching(objs, sentence))  # attributes only


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
            found = referent(sentence['sent'], objs[ref['image_id']], image['width'],
                             image['height'])
            assert found is not None and found.id == ref['ann_id'], (ref, sentence['sent'])
            kinds[kind_of(sentence['sent'])] += 1
    # Every kind of expression occurs, none dominates.
    assert set(kinds) == {'attribute', 'extreme', 'ordinal', 'superlative', 'region',
                          'centre', 'relation', 'nearest'}, kinds
    assert max(kinds.values()) < 0.35 * sum(kinds.values()), kinds


def test_the_reader_rejects_wrong_expressions():
    shape_names = {1: 'circle', 2: 'square'}
    objs = [Obj(dict(id=i, category_id=c, area=a,
                     attributes=dict(colour=col, size=s, center=xy)), shape_names)
            for i, c, col, s, xy, a in [(1, 1, 'red', 'big', [20, 20], 900),
                                        (2, 1, 'red', 'small', [90, 70], 200),
                                        (3, 2, 'blue', 'small', [60, 30], 250),
                                        (4, 1, 'green', 'medium', [110, 20], 400)]]
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


def test_plural_nouns_cover_every_shape():
    assert set(PLURALS) == set(SHAPES)
