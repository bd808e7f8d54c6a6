"""The generated PartImageNet look-alike: format, determinism and the CLI tools."""

import filecmp
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from refseg.datasets.imagenet_classes import PARTIMAGENET_OBJECT_CLASSES
from refseg.datasets.partimagenet import PARTIMAGENET_CATEGORIES, load_part_annotations
from refseg.structures.coco_mask import decode_mask_ann
from refseg.synthetic.partimagenet import generate_partimagenet
from script_loader import load_script

SIZES = (48, 80)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def test_seg_layout_and_coco_format(tmp_path):
    root = str(tmp_path)
    summary = generate_partimagenet(root, num_images=dict(train=11, val=2), image_size=SIZES)
    assert summary['train']['images'] == 11 and summary['val']['images'] == 2
    coco = load_json(osp.join(root, 'annotations', 'train', 'train.json'))
    assert [(c['id'], c['name'], c['supercategory']) for c in coco['categories']] == [
        tuple(c) for c in PARTIMAGENET_CATEGORIES
    ]
    # Eleven images cycle through the 11 superclasses: every part class is present.
    assert {a['category_id'] for a in coco['annotations']} == set(range(40))
    for image in coco['images']:
        wnid, _, rest = image['file_name'].partition('_')
        assert wnid in PARTIMAGENET_OBJECT_CLASSES and rest.endswith('.JPEG')
        pixels = cv2.imread(osp.join(root, 'images', 'train', image['file_name']))
        assert pixels.shape[:2] == (image['height'], image['width'])
        assert SIZES[0] <= image['height'] <= SIZES[1]
        labels = cv2.imread(
            osp.join(root, 'annotations', 'train', image['file_name'].replace('.JPEG', '.png')),
            cv2.IMREAD_UNCHANGED,
        )
        assert labels.shape == pixels.shape[:2]
        assert set(np.unique(labels)) <= set(range(41))
    # The wnid's superclass is the superclass of every part drawn on the image.
    superclass = {c[0]: c[2] for c in PARTIMAGENET_CATEGORIES}
    files = {image['id']: image['file_name'] for image in coco['images']}
    for ann in coco['annotations']:
        wnid = files[ann['image_id']][:9]
        if ann['area'] > 1:  # the sub-pixel defect uses a part absent from the image
            assert superclass[ann['category_id']] == PARTIMAGENET_OBJECT_CLASSES[wnid][1]
    ids = [ann['id'] for ann in coco['annotations']]
    assert len(set(ids)) == len(ids) and min(ids) >= 1


def test_label_maps_match_annotations(tmp_path):
    root = str(tmp_path)
    generate_partimagenet(root, num_images=dict(train=4), image_size=SIZES, with_defects=False)
    coco = load_json(osp.join(root, 'annotations', 'train', 'train.json'))
    for image in coco['images']:
        labels = cv2.imread(
            osp.join(root, 'annotations', 'train', image['file_name'].replace('.JPEG', '.png')),
            cv2.IMREAD_UNCHANGED,
        )
        h, w = image['height'], image['width']
        for category in {
            a['category_id'] for a in coco['annotations'] if a['image_id'] == image['id']
        }:
            union = np.zeros((h, w), np.uint8)
            for ann in coco['annotations']:
                if ann['image_id'] == image['id'] and ann['category_id'] == category:
                    union |= decode_mask_ann(ann['segmentation'], h, w)
            visible = labels == category
            # Later parts occlude earlier ones; what the map shows lies inside the polygons
            # (up to the rasterisers' boundary pixels).
            assert visible.sum() > 0
            assert (visible & (union > 0)).sum() >= 0.8 * visible.sum()


def test_deterministic(tmp_path):
    first, second, other = (str(tmp_path / name) for name in ('a', 'b', 'c'))
    for root, seed in ((first, 0), (second, 0), (other, 1)):
        generate_partimagenet(root, num_images=dict(val=3), image_size=SIZES, seed=seed)
    ann = osp.join('annotations', 'val', 'val.json')
    assert load_json(osp.join(first, ann)) == load_json(osp.join(second, ann))
    assert load_json(osp.join(first, ann)) != load_json(osp.join(other, ann))
    names = sorted(os.listdir(osp.join(first, 'images', 'val')))
    match, mismatch, errors = filecmp.cmpfiles(
        osp.join(first, 'images', 'val'), osp.join(second, 'images', 'val'), names, shallow=False
    )
    assert match == names and not mismatch and not errors


def test_defects_are_optional(tmp_path):
    generate_partimagenet(
        str(tmp_path), num_images=dict(test=3), image_size=SIZES, with_defects=False
    )
    ann_file = str(tmp_path / 'annotations' / 'test' / 'test.json')
    stats = load_part_annotations(ann_file)['stats']
    assert stats['dropped_polygons'] == stats['dropped_zero_area'] == 0
    assert stats['dropped_no_polygon'] == stats['dropped_empty_masks'] == 0


def test_ood_layout(tmp_path):
    generate_partimagenet(str(tmp_path), num_images=dict(train=2), layout='ood', image_size=SIZES)
    coco = load_json(str(tmp_path / 'train.json'))
    for image in coco['images']:
        assert '/' not in image['file_name']
        assert (tmp_path / 'train' / image['file_name'][:9] / image['file_name']).is_file()
    assert not (tmp_path / 'annotations').exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='layout'):
        generate_partimagenet(str(tmp_path), layout='flat')
    with pytest.raises(ValueError, match='image_size'):
        generate_partimagenet(str(tmp_path), image_size=(16, 8))


def test_generate_and_check_tools(tmp_path, capsys):
    generate = load_script('tools/dataset_converters/generate_partimagenet.py')
    check = load_script('tools/dataset_converters/check_partimagenet.py')
    root = str(tmp_path / 'pin')
    assert generate.main([root, '--num-images', '11', '2', '2', '--image-size', '48', '64']) == 0
    assert 'train    11 images' in capsys.readouterr().out
    assert check.main([root, '--check-images']) == 0
    out = capsys.readouterr().out
    # The comparison with the published Seg-release counts is printed (and differs here).
    assert '[published 20,481: MISMATCH' in out and '[published 95,059: MISMATCH' in out
    assert '[published 2,408: MISMATCH' in out and '[published 11,275: MISMATCH' in out
    assert '[inferred 1,206: MISMATCH' in out
    ann_file = osp.join(root, 'annotations', 'train', 'train.json')
    stats = load_part_annotations(ann_file)['stats']
    assert f'referring samples {stats["samples"]:>8,}' in out
    assert (
        'filtered: 2 degenerate polygons, 1 zero-area annotations, 1 annotations '
        'without a valid polygon, 1 empty masks'
    ) in out
    assert 'PROBLEM' not in out
    assert check.main([root, '--strict']) == 1
    val_images = osp.join(root, 'images', 'val')
    os.remove(osp.join(val_images, sorted(os.listdir(val_images))[0]))
    check.main([root, '--splits', 'val', '--check-images'])
    assert 'PROBLEM: 1 image files missing' in capsys.readouterr().out


def test_check_tool_reports_name_table_problems(tmp_path, capsys):
    check = load_script('tools/dataset_converters/check_partimagenet.py')
    root = str(tmp_path)
    generate_partimagenet(root, num_images=dict(val=2), image_size=SIZES)
    ann_file = osp.join(root, 'annotations', 'val', 'val.json')
    coco = load_json(ann_file)
    superclass = PARTIMAGENET_OBJECT_CLASSES[coco['images'][0]['file_name'][:9]][1]
    other = next(w for w, (_, s) in PARTIMAGENET_OBJECT_CLASSES.items() if s != superclass)
    coco['images'][0]['file_name'] = f'{other}_1.JPEG'
    coco['images'][1]['file_name'] = 'n09999999_2.JPEG'
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    assert check.main([root, '--splits', 'val', '--strict']) == 1
    out = capsys.readouterr().out
    assert '1 wnids have no name in refseg.datasets.imagenet_classes' in out
    assert 'n09999999' in out
    assert f"1 (wnid, superclass) pairs contradict the name table: ['{other}" in out
