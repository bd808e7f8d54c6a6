"""What installing refseg asks pip for: the supported OpenMMLab ranges, checked at import,
and never a second torch (refseg leaves torch to the user, and nothing it requires pulls
one in)."""

import importlib.metadata as metadata
import os.path as osp
import re

import pytest
from packaging.requirements import Requirement

import refseg

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip('tomli')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Packages that require torch (or are torch): any of them in the closure would let pip
# replace the installed CPU/CUDA build.
TORCH_PULLERS = {
    'torch',
    'torchvision',
    'torchaudio',
    'timm',
    'open-clip-torch',
    'accelerate',
    'sentence-transformers',
    'pytorch-lightning',
    'lightning',
    'torchmetrics',
    'mmpretrain',
    'clip-anytorch',
    'openai-clip',
}


def _project():
    with open(osp.join(REPO, 'pyproject.toml'), 'rb') as f:
        return tomllib.load(f)['project']


def _name(requirement: Requirement) -> str:
    return re.sub(r'[-_.]+', '-', requirement.name).lower()


def _all_requirements():
    project = _project()
    requirements = [Requirement(r) for r in project['dependencies']]
    for extra in project['optional-dependencies'].values():
        requirements += [Requirement(r) for r in extra]
    return requirements


def test_openmmlab_ranges_match_the_import_check():
    declared = {_name(r): str(r.specifier) for r in map(Requirement, _project()['dependencies'])}
    for name, specifier in refseg.REQUIRED_VERSIONS.items():
        assert set(declared[name].split(',')) == set(specifier.split(',')), name


def test_no_requirement_pulls_torch():
    """Walk the installed metadata from refseg's requirements (all extras); packages that
    are not installed here (e.g. wandb) are only checked by name."""
    seen, unchecked = set(), set()
    stack = list(_all_requirements())
    while stack:
        requirement = stack.pop()
        name = _name(requirement)
        assert name not in TORCH_PULLERS, f'{name} would pull torch'
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            unchecked.add(name)
            continue
        for text in requires:
            dependency = Requirement(text)
            # A dependency's own extras are not installed by default (transformers[torch]).
            if dependency.marker is None or dependency.marker.evaluate({'extra': ''}):
                stack.append(dependency)
    assert 'torch' not in seen
    assert {'mmengine', 'mmcv', 'mmsegmentation', 'numpy'} <= seen
    assert not {'tqdm', 'scipy'} & {_name(r) for r in _all_requirements()}
    print(f'{len(seen)} packages walked; not installed here: {sorted(unchecked)}')


def test_import_check_names_what_is_wrong(monkeypatch):
    refseg.check_dependencies()  # this environment is supported
    monkeypatch.setitem(refseg.REQUIRED_VERSIONS, 'mmcv', '>=9.0')
    monkeypatch.setitem(refseg.REQUIRED_VERSIONS, 'not-a-refseg-dependency', '>=1')
    with pytest.raises(ImportError) as error:
        refseg.check_dependencies()
    message = str(error.value)
    assert f'mmcv {metadata.version("mmcv")} is installed' in message
    assert 'not-a-refseg-dependency is not installed' in message
    assert 'mmcv>=9.0' in message
