"""The model-zoo metafiles (OpenMMLab format) list exactly the configs that exist."""

import glob
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(relative):
    with open(osp.join(REPO, relative)) as f:
        return yaml.safe_load(f)


def _metafiles():
    return sorted(
        osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yaml'))
    )


def _entries():
    return [(metafile, entry) for metafile in _metafiles() for entry in _load(metafile)['Models']]


def test_model_index_imports_every_metafile():
    assert sorted(_load('model-index.yml')['Import']) == _metafiles()


def test_metafiles_list_exactly_the_configs():
    configs = sorted(
        osp.relpath(p, REPO)
        for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
        if osp.basename(osp.dirname(p)) != '_base_'
    )
    listed = [entry['Config'] for _, entry in _entries()]
    assert sorted(listed) == configs, (
        f'missing from metafiles: {sorted(set(configs) - set(listed))}; '
        f'listed but absent: {sorted(set(listed) - set(configs))}'
    )


def test_metafile_entries_are_well_formed():
    for metafile in _metafiles():
        meta = _load(metafile)
        collections = {c['Name'] for c in meta['Collections']}
        for entry in meta['Models']:
            where = f'{metafile}: {entry.get("Name")}'
            assert entry['Name'] == osp.splitext(osp.basename(entry['Config']))[0], where
            assert osp.dirname(entry['Config']) == osp.dirname(metafile), where
            assert entry['In Collection'] in collections, where
            assert entry['Metadata']['Parameters (M)'] > 0, where
            for result in entry.get('Results', []):
                assert result['Task'] == 'Referring Image Segmentation', where
                assert result['Metrics'], where
                assert all(0 <= v <= 100 for v in result['Metrics'].values()), where


# The CRIS R50/R101 counts are asserted by tests/test_models/test_cris_parity.py.
@pytest.mark.parametrize('config', ['configs/synthetic/cris_tiny_synthetic.py'])
def test_parameter_counts_match_the_models(config):
    from refseg.registry import MODELS

    listed = {entry['Config']: entry for _, entry in _entries()}[config]
    init_default_scope('refseg')
    with torch.device('meta'):
        model = MODELS.build(Config.fromfile(osp.join(REPO, config)).model)
    measured = round(sum(p.numel() for p in model.parameters()) / 1e6, 2)
    assert listed['Metadata']['Parameters (M)'] == measured
