"""The dataset base configs build and feed the documented sample layout."""

import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.registry import init_default_scope

from refseg.registry import DATASETS

CONFIG_DIR = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')


def load_config(name):
    return Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py'))


def test_synthetic_config_builds_train_val_test(tmp_path):
    init_default_scope('refseg')
    cfg = load_config('synthetic')
    assert cfg.img_size == 128 and cfg.data_root == 'data/synthetic'
    assert cfg.val_evaluator == dict(type='RefSegMetric')
    generate_cfg = dict(num_images=8, image_size=(64, 80), seed=0, progress=False)
    datasets = {}
    for name in ('train', 'val', 'test'):
        loader = cfg[f'{name}_dataloader']
        assert loader.batch_size == 16 and loader.num_workers == 2 and loader.persistent_workers
        assert loader.sampler.shuffle == (name == 'train')
        dataset_cfg = dict(
            loader.dataset, data_root=str(tmp_path), generate_cfg=generate_cfg, serialize_data=False
        )
        datasets[name] = DATASETS.build(dataset_cfg)
    assert datasets['train'].sentence_mode == 'random'
    assert (datasets['val'].split, datasets['val'].sentence_mode) == ('val', 'all')
    assert datasets['test'].split == 'testA'

    train = datasets['train'][0]
    assert train['inputs'].shape == (3, 128, 128)
    assert train['data_samples'].gt_sem_seg.data.dtype == torch.float32  # soft target
    assert train['data_samples'].gt_sem_seg.data.shape == (1, 128, 128)
    val = datasets['val'][0]
    assert val['inputs'].shape == (3, 128, 128)
    # The test-time mask stays at the original resolution for scoring.
    assert val['data_samples'].gt_sem_seg.data.shape == (1, 64, 80)
    assert val['data_samples'].gt_sem_seg.data.dtype == torch.int64
    meta = val['data_samples'].metainfo
    assert isinstance(meta['text'], str) and meta['letterbox_matrix'].shape == (2, 3)
    np.testing.assert_allclose(meta['letterbox_matrix'][0, 0], 1.6)


def test_refcoco_config_reads_the_refer_layout(synthetic_refcoco_root):
    init_default_scope('refseg')
    cfg = load_config('refcoco')
    splits = {}
    for name in ('train', 'val', 'test'):
        dataset_cfg = dict(
            cfg[f'{name}_dataloader'].dataset,
            data_root=synthetic_refcoco_root,
            serialize_data=False,
        )
        dataset = DATASETS.build(dataset_cfg)
        splits[name] = (dataset.split, dataset.sentence_mode)
        sample = dataset[0]
        assert sample['inputs'].shape == (3, 416, 416)
    assert splits == {'train': ('train', 'random'), 'val': ('val', 'all'), 'test': ('testA', 'all')}


@pytest.mark.parametrize(
    'name, split_file, test_split',
    [
        ('refcoco+', 'refcoco+/refs(unc).p', 'testA'),
        ('refcocog_umd', 'refcocog/refs(umd).p', 'test'),
        ('refcocog_google', 'refcocog/refs(google).p', 'val'),
    ],
)
def test_other_presets_point_at_their_files(synthetic_refcoco_root, name, split_file, test_split):
    init_default_scope('refseg')
    cfg = load_config(name)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.split_file == split_file
        assert loader.dataset.ann_file == split_file.split('/')[0] + '/instances.json'
    assert cfg.test_dataloader.dataset.split == test_split
    assert cfg.val_dataloader.dataset.split == 'val'
    # Missing files are reported by path.
    folder = split_file.split('/')[0]
    with pytest.raises(FileNotFoundError, match=re.escape(f'{folder}/instances.json')):
        DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=synthetic_refcoco_root))
