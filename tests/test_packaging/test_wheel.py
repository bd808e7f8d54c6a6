"""refseg as a user installs it: a wheel in a fresh virtual environment, no checkout on the
path, configs and tools shipped under ``refseg/.mim`` and ``refseg::`` paths resolving."""

import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CHECK_INSTALLED = textwrap.dedent("""
    import importlib.util, os.path as osp, sys
    import torch
    import refseg
    assert refseg.__file__.startswith(sys.prefix), refseg.__file__
    from mmengine.config import Config
    from mmengine.config.utils import _get_external_cfg_base_path
    from refseg.registry import MODELS
    from refseg.utils.config import find_mim_folder, resolve_config_path

    path = resolve_config_path('refseg::cris/cris_r50_refcoco.py')
    assert path.startswith(sys.prefix), path
    cfg = Config.fromfile(path)
    with torch.device('meta'):  # the architecture, without allocating 147 M weights
        model = MODELS.build(cfg.model)
    print('built', type(model).__name__, sum(p.numel() for p in model.parameters()))
    # The layout mmengine's package:: lookup reads (refseg/.mim/configs/...).
    package = osp.dirname(importlib.util.find_spec('refseg').origin)
    print('mmengine path', _get_external_cfg_base_path(package, 'cris/cris_r50_refcoco.py'))
    try:
        resolve_config_path('refseg::cris/no_such_config.py')
    except FileNotFoundError as error:
        print('missing:', error)
    print(find_mim_folder('tools'))
    print(osp.isfile(osp.join(package, '.mim', 'model-index.yml')))
""")


def _checkout_files():
    try:
        out = subprocess.run(
            ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('needs a git checkout to know which files a wheel is built from')
    return [name for name in out.decode().split('\0') if name]


@pytest.fixture(scope='module')
def venv_python(tmp_path_factory):
    """A ``--system-site-packages`` venv holding only refseg's wheel, built from a copy."""
    source = tmp_path_factory.mktemp('source')
    for name in _checkout_files():
        if osp.isfile(osp.join(REPO, name)):
            os.makedirs(source / osp.dirname(name), exist_ok=True)
            shutil.copy2(osp.join(REPO, name), source / name)
    dist = tmp_path_factory.mktemp('dist')
    subprocess.run(
        [
            sys.executable,
            '-m',
            'pip',
            'wheel',
            '-q',
            '--no-deps',
            '--no-build-isolation',
            '-w',
            str(dist),
            str(source),
        ],
        check=True,
    )
    wheels = list(dist.glob('refseg-*.whl'))
    assert len(wheels) == 1, wheels
    venv = tmp_path_factory.mktemp('venv')
    subprocess.run(
        [sys.executable, '-m', 'venv', '--system-site-packages', '--without-pip', str(venv)],
        check=True,
    )
    python = str(venv / 'bin' / 'python')
    subprocess.run(
        [
            sys.executable,
            '-m',
            'pip',
            '--python',
            python,
            'install',
            '-q',
            '--no-deps',
            '--no-index',
            str(wheels[0]),
        ],
        check=True,
    )
    return python


def _run_outside(python, tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    return subprocess.run(
        [python, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


def test_wheel_ships_configs_and_resolves_package_paths(venv_python, tmp_path):
    result = _run_outside(venv_python, tmp_path, '-c', CHECK_INSTALLED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('built RefSegmentor ')
    assert int(lines[0].split()[-1]) > 1e6
    assert lines[1].endswith(osp.join('refseg', '.mim', 'configs', 'cris', 'cris_r50_refcoco.py'))
    assert lines[2].startswith('missing: ') and 'no_such_config.py' in lines[2]
    tools = lines[3]
    assert tools.endswith(osp.join('refseg', '.mim', 'tools'))
    assert lines[4] == 'True'  # model-index.yml, which mim and mmengine's hub read
    # The shipped tools run from the installed package.
    help_text = _run_outside(venv_python, tmp_path, osp.join(tools, 'train.py'), '--help')
    assert help_text.returncode == 0, help_text.stderr
    assert '--auto-scale-lr' in help_text.stdout
