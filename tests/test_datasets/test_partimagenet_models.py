"""The part-segmentation configs, and tiny CRIS / RISCLIP models on PartImageNet samples."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from refseg.registry import DATASETS, METRICS, MODELS
from refseg.synthetic.partimagenet import generate_partimagenet

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PARTSEG = osp.join(REPO, 'configs', 'partseg')
SYNTHETIC = osp.join(REPO, 'configs', 'synthetic')


@pytest.fixture(scope='module')
def part_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('partimagenet_models'))
    generate_partimagenet(root, num_images=dict(train=2, val=2), image_size=(48, 80))
    return root


def letterbox_size(pipeline):
    return next(t['size'] for t in pipeline if t['type'] == 'LetterBox')


@pytest.mark.parametrize(
    'name',
    [
        'cris_r50_partimagenet.py',
        'cris_r50_partimagenet_from-refcoco.py',
        'cris_r50_partimagenet_bare-part.py',
    ],
)
def test_cris_configs(name):
    cfg = Config.fromfile(osp.join(PARTSEG, name))
    assert cfg.model.type == 'RefSegmentor'
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['backbone'].lr_mult == 0.1
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        assert dataset.type == 'PartImageNetRefDataset'
        assert letterbox_size(dataset.pipeline) == 416
        assert cfg.model.data_preprocessor.size == (416, 416)
        assert 'category_id' in dataset.pipeline[-1].meta_keys
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'PartRefSegMetric'
    if 'from-refcoco' in name:
        assert cfg.load_from and cfg.model.backbone.init_cfg is None
        assert cfg.model.text_encoder.init_cfg is None
    else:
        assert cfg.load_from is None
        assert cfg.model.backbone.init_cfg.type == 'CLIPPretrained'
    if 'bare-part' in name:
        assert cfg.train_dataloader.dataset.templates == 'part'
        assert cfg.test_dataloader.dataset.templates == 'part'
    else:
        assert cfg.test_dataloader.dataset.templates == 'part_of_object'
        assert len(cfg.train_dataloader.dataset.templates) == 4


@pytest.mark.parametrize(
    'name,stage', [('risclip_vitb_partimagenet_stage1.py', 1), ('risclip_vitb_partimagenet.py', 2)]
)
def test_risclip_configs(name, stage):
    cfg = Config.fromfile(osp.join(PARTSEG, name))
    assert cfg.model.type == 'RISCLIPSegmentor' and cfg.model.stage == stage
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        assert dataset.type == 'PartImageNetRefDataset'
        assert letterbox_size(dataset.pipeline) == cfg.model.data_preprocessor.size[0]
        assert 'category_id' in dataset.pipeline[-1].meta_keys
    assert cfg.test_evaluator.type == 'PartRefSegMetric'
    # Stage 2 starts from stage 1's last checkpoint (found by tools/train.py).
    assert bool(cfg.get('init_from_stage1')) == (stage == 2)


def part_batch(root, size, split, num=2):
    """``num`` items of the generated split through the base config's pipeline for it
    (``'train'``: letterboxed mask; ``'val'``: mask at the original size), at ``size``."""
    base = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'partimagenet.py'))
    dataset_cfg = base[f'{split}_dataloader'].dataset
    dataset_cfg.data_root = root
    for transform in dataset_cfg.pipeline:
        if transform.type == 'LetterBox':
            transform.size = size
    dataset = DATASETS.build(dataset_cfg)
    return dataset, pseudo_collate([dataset[i] for i in range(num)])


def run_on_parts(model_cfg, root, size):
    """A loss and a scored prediction of a tiny model on two part samples."""
    init_default_scope('refseg')
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    dataset, batch = part_batch(root, size, 'train')
    data = model.data_preprocessor(batch, training=True)
    texts = [sample.text for sample in data['data_samples']]
    assert all(text in dataset.get_data_info(i)['sentences'] for i, text in enumerate(texts))
    assert model.expressions(data['data_samples']) == texts
    model.train()
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()

    dataset, batch = part_batch(root, size, 'val')
    model.eval()
    with torch.no_grad():
        outputs = model.test_step(batch)
    metric = METRICS.build(dict(type='PartRefSegMetric'))
    metric.dataset_meta = dataset.metainfo
    metric.process(batch, [output.to_dict() for output in outputs])
    for index, output in enumerate(outputs):
        assert output.pred_sem_seg.shape == tuple(output.ori_shape)
        assert output.text == dataset.get_data_info(index)['text']
    return metric.evaluate(2)


def test_tiny_cris_on_part_samples(part_root):
    cfg = Config.fromfile(osp.join(SYNTHETIC, 'cris_tiny_synthetic.py'))
    metrics = run_on_parts(cfg.model, part_root, cfg.img_size)
    assert metrics['num_samples'] == 2
    assert 0 <= metrics['mIoU_part'] <= 100


def test_tiny_risclip_on_part_samples(part_root):
    cfg = Config.fromfile(osp.join(SYNTHETIC, 'risclip_tiny_synthetic.py'))
    assert cfg.model.stage == 2
    metrics = run_on_parts(cfg.model, part_root, cfg.img_size)
    assert metrics['num_samples'] == 2
    assert 0 <= metrics['mIoU_part'] <= 100


def test_synthetic_demo_config():
    cfg = Config.fromfile(osp.join(PARTSEG, 'cris_tiny_partimagenet-synthetic.py'))
    assert cfg.model.context_length == cfg.model.text_encoder.context_length == 17
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        assert dataset.type == 'PartImageNetRefDataset'
        assert dataset.data_root == 'data/partimagenet_synthetic/'
        assert letterbox_size(dataset.pipeline) == cfg.model.data_preprocessor.size[0]
        assert 'category_id' in dataset.pipeline[-1].meta_keys
    assert cfg.val_evaluator == dict(type='PartRefSegMetric')
