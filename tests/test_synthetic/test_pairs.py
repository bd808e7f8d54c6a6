"""The image-text pairs written beside the REFER files (pairs_<split>.json)."""

import json
import os.path as osp
import pickle
from collections import Counter

from refseg.synthetic import GENERATOR_VERSION
from refseg.synthetic.phrasing import NUMBERS
from refseg.synthetic.world import COLOURS, PLURALS, SHAPES, SIZES

VOCABULARY = (
    set(COLOURS)
    | set(SHAPES)
    | set(SIZES)
    | set(PLURALS.values())
    | set(NUMBERS.values())
    | {'a', 'an', 'and', 'from', 'left', 'to', 'right:', 'of', 'above', 'below', 'right'}
)


def test_pairs_describe_the_images_of_their_split(world_root):
    with open(osp.join(world_root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(world_root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    anns = {ann['id']: ann for ann in instances['annotations']}
    shape_of = {c['id']: c['name'] for c in instances['categories']}
    file_of = {image['id']: 'train2014/' + image['file_name'] for image in instances['images']}
    for split in ('train', 'val'):
        with open(osp.join(world_root, f'pairs_{split}.json')) as f:
            content = json.load(f)
        assert set(content) == {'version', 'pairs'}
        assert content['version'] == GENERATOR_VERSION
        pairs = content['pairs']
        split_images = {file_of[ref['image_id']] for ref in refs if ref['split'] == split}
        assert {pair['image'] for pair in pairs} == split_images
        per_image = Counter((pair['image'], pair['kind']) for pair in pairs)
        for image in split_images:
            assert per_image[(image, 'scene')] >= 3
            assert per_image[(image, 'object')] >= 4
            assert osp.isfile(osp.join(world_root, image))
        for pair in pairs:
            assert set(pair) == {'image', 'caption', 'kind', 'bbox', 'ann_id'}
            words = pair['caption'].replace(',', '').split()
            assert set(words) <= VOCABULARY, pair['caption']
            if pair['kind'] == 'scene':
                assert pair['bbox'] is None and pair['ann_id'] is None
                continue
            assert pair['kind'] == 'object'
            ann = anns[pair['ann_id']]
            assert file_of[ann['image_id']] == pair['image']
            assert pair['bbox'] == ann['bbox']
            attrs = ann['attributes']
            article = 'an' if attrs['size'][0] in 'aeiou' else 'a'
            assert pair['caption'] == (
                f'{article} {attrs["size"]} {attrs["colour"]} {shape_of[ann["category_id"]]}'
            )
