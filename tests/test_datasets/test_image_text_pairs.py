import json
import os.path as osp

import cv2
import numpy as np
import pytest

from refseg.datasets import CropToBox, ImageTextPairDataset


def _write(root, pairs, split='train'):
    with open(osp.join(root, f'pairs_{split}.json'), 'w') as f:
        json.dump(dict(version=1, pairs=pairs), f)


@pytest.fixture
def root(tmp_path):
    image = np.zeros((20, 30, 3), np.uint8)
    image[5:10, 10:20] = 255
    cv2.imwrite(str(tmp_path / 'a.png'), image)
    cv2.imwrite(str(tmp_path / 'b.png'), image)
    _write(
        str(tmp_path),
        [
            dict(image='a.png', caption='two shapes', kind='scene', bbox=None, ann_id=None),
            dict(
                image='a.png', caption='a white bar', kind='object', bbox=[10, 5, 10, 5], ann_id=1
            ),
            dict(
                image='a.png', caption='a white bar', kind='object', bbox=[10, 5, 10, 5], ann_id=1
            ),
            dict(image='b.png', caption='one shape', kind='scene', bbox=None, ann_id=None),
        ],
    )
    return str(tmp_path)


def test_training_items_are_images_and_test_items_are_pairs(root):
    train = ImageTextPairDataset(root, split='train')
    assert len(train) == 2  # one item per image, duplicate captions merged
    assert sorted(train.get_data_info(0)['captions']) == ['a white bar', 'two shapes']
    test = ImageTextPairDataset(root, split='train', test_mode=True)
    assert len(test) == 3
    assert test[0]['text'] == 'two shapes'
    scenes = ImageTextPairDataset(root, split='train', kinds=('scene',))
    assert len(scenes) == 2 and all(len(scenes.get_data_info(i)['captions']) == 1 for i in range(2))


def test_crop_view(root):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='refseg.CropToBox')]
    data = ImageTextPairDataset(
        root,
        split='train',
        object_view='crop',
        crop_context=0.5,
        kinds=('object',),
        pipeline=pipeline,
        test_mode=True,
    )
    assert len(data) == 1
    item = data[0]
    # the 10x5 box at (10, 5) with a half-side margin: x 5..25, y 2.5..12.5 -> rows 2..12
    assert item['img'].shape[:2] == (11, 20)
    assert item['text'] == 'a white bar'


def test_crop_outside_image_is_an_error():
    with pytest.raises(ValueError, match='outside'):
        CropToBox()(dict(img=np.zeros((4, 4, 3), np.uint8), crop_bbox=[10, 10, 2, 2]))


@pytest.mark.parametrize(
    'pair, message',
    [
        (dict(image='a.png', caption='', kind='scene'), 'caption'),
        (dict(image='a.png', caption='x', kind='region'), 'kind'),
        (dict(image='a.png', caption='x', kind='object', bbox=None), 'bbox'),
    ],
)
def test_bad_pairs_name_the_field(tmp_path, pair, message):
    _write(str(tmp_path), [pair])
    with pytest.raises(ValueError, match=rf'pairs\[0\]\.{message}'):
        ImageTextPairDataset(str(tmp_path), split='train')


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='pairs_val.json'):
        ImageTextPairDataset(str(tmp_path), split='val')
