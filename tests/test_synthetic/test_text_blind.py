"""tools/analysis_tools/text_blind_baselines.py and refseg.synthetic.text_blind."""

import json
import os.path as osp
import pickle

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from refseg.synthetic.text_blind import RULES, text_blind_baselines
from script_loader import load_script


def expected_scores(root, split):
    """mIoU of 'largest' and 'all' computed directly from the annotations."""
    with open(osp.join(root, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    images = {image['id']: image for image in instances['images']}
    areas = {}
    for ann in instances['annotations']:
        image = images[ann['image_id']]
        rle = mask_utils.frPyObjects(ann['segmentation'], image['height'], image['width'])
        areas.setdefault(ann['image_id'], {})[ann['id']] = float(mask_utils.area(rle[0]))
    largest, union_share = [], []
    for ref in refs:
        if ref['split'] != split:
            continue
        image_areas = areas[ref['image_id']]
        for _ in ref['sentences']:
            largest.append(max(image_areas, key=image_areas.get) == ref['ann_id'])
            # Objects never overlap, so the union's area is the sum of theirs.
            union_share.append(image_areas[ref['ann_id']] / sum(image_areas.values()))
    return 100 * np.mean(largest), 100 * np.mean(union_share), len(largest)


def test_rules_score_what_the_annotations_imply(world_root):
    results = text_blind_baselines(world_root, split='val')
    largest, union_share, num = expected_scores(world_root, 'val')
    assert set(results) == set(RULES)
    assert all(r['num_samples'] == num for r in results.values())
    assert results['largest']['mIoU'] == pytest.approx(largest)
    assert results['largest']['Prec@50'] == pytest.approx(largest)
    assert results['all']['mIoU'] == pytest.approx(union_share)
    for rule in ('centre', 'random'):
        assert 0 <= results[rule]['mIoU'] <= 100
    # A fixed seed gives the same random object; another seed may not.
    assert text_blind_baselines(world_root, split='val')['random'] == results['random']


def test_the_tool_prints_a_table(world_root, capsys):
    tool = load_script('tools/analysis_tools/text_blind_baselines.py')
    assert tool.main([world_root, '--split', 'val']) == 0
    out = capsys.readouterr().out
    results = text_blind_baselines(world_root, split='val')
    for rule, label in (('largest', 'largest object'), ('all', 'union of all objects')):
        assert f'| {label} | {results[rule]["mIoU"]:.2f} | {results[rule]["oIoU"]:.2f} |' in out


def test_the_tool_names_a_missing_split(world_root):
    with pytest.raises(ValueError, match="split 'testB' selects no ref"):
        text_blind_baselines(world_root, split='testB')


def test_rule_table_rows_in_description_order_and_missing_cells():
    from refseg.synthetic.text_blind import rule_table

    results = {
        'b': dict(mIoU=1.234, num_samples=3),
        'a': dict(mIoU=50.0, oIoU=25.0, num_samples=3),
    }
    table = rule_table(results, dict(a='rule A', b='rule B'), ('mIoU', 'oIoU'))
    assert table.splitlines() == [
        '| text-blind rule | mIoU | oIoU | expressions |',
        '|---|---:|---:|---:|',
        '| rule A | 50.00 | 25.00 | 3 |',
        '| rule B | 1.23 | - | 3 |',
    ]
