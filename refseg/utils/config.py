"""Read configs the way refseg's tools do: installed ones by ``refseg::`` name, overrides
from ``--cfg-options`` strings.

A wheel ships configs/ as ``refseg/.mim/configs`` (as mmseg ships ``mmseg/.mim/configs``);
an editable install links that folder to the checkout's configs/ and a plain checkout on
``PYTHONPATH`` has configs/ next to the package. mmengine 0.10 resolves ``package::`` only
for the OpenMMLab packages in its fixed table (``mmengine.config.utils.MODULE2PACKAGE``), so
refseg's tools resolve ``refseg::`` here first.
"""

import argparse
import os.path as osp
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    from mmengine.config import Config

__all__ = ['PACKAGE_PREFIX', 'find_mim_folder', 'resolve_config_path', 'load_config']

PACKAGE_PREFIX = 'refseg::'
_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def find_mim_folder(name: str) -> Optional[str]:
    """The installed ``configs`` or ``tools`` folder, or None when there is none.

    Looks in ``refseg/.mim/<name>`` (wheel, editable install), then in ``<name>`` beside
    the package (a checkout used through ``PYTHONPATH``).
    """
    for folder in (osp.join(_PACKAGE_DIR, '.mim', name), osp.join(osp.dirname(_PACKAGE_DIR), name)):
        if osp.isdir(folder):
            # An editable install links .mim/<name> to the checkout: report the real folder.
            return osp.realpath(folder)
    return None


def resolve_config_path(path: str) -> str:
    """Turn ``refseg::<path under configs/>`` into a file path; return others unchanged.

    Args:
        path (str): ``refseg::cris/cris_r50_refcoco.py`` or any path mmengine reads.

    Returns:
        str: The config file's path.

    Raises:
        FileNotFoundError: If refseg's configs are not installed or the config is not
            among them.
    """
    if not path.startswith(PACKAGE_PREFIX):
        return path
    relative = path[len(PACKAGE_PREFIX) :]
    configs = find_mim_folder('configs')
    if configs is None:
        raise FileNotFoundError(
            f'{path!r}: this refseg installation has no configs (looked in '
            f'{osp.join(_PACKAGE_DIR, ".mim", "configs")} and beside the package). '
            'Install refseg from a wheel or with `pip install -e .` from a checkout.'
        )
    config = osp.join(configs, relative)
    if not osp.isfile(config):
        raise FileNotFoundError(
            f'{path!r}: no config {relative!r} in {configs}; refseg:: paths are relative '
            "to refseg's configs/ folder, e.g. 'refseg::cris/cris_r50_refcoco.py'."
        )
    return config


def load_config(path: str, cfg_options: Optional[Sequence[str]] = None) -> 'Config':
    """Read a config (a path or ``refseg::...``) and apply ``--cfg-options`` overrides.

    The tools take ``--cfg-options`` as plain ``KEY=VALUE`` strings, so that parsing their
    arguments imports nothing heavy; the strings are read here exactly as mmengine's
    ``DictAction`` reads them (``key=[a,b]``, ``key=a,b``, numbers, booleans, None).

    Args:
        path (str): Config file or ``refseg::<path under configs/>``.
        cfg_options (Sequence[str], optional): ``KEY=VALUE`` overrides.

    Returns:
        Config: The config with the overrides merged and the settings that depend on
        them re-derived (:func:`refseg.utils.config_overrides.merge_cfg_options`).
    """
    from mmengine.config import Config, DictAction

    from .config_overrides import merge_cfg_options

    cfg = Config.fromfile(resolve_config_path(path))
    if cfg_options:
        namespace = argparse.Namespace()
        DictAction(option_strings=[], dest='options')(None, namespace, list(cfg_options))
        # Keeps img_size, the training length and the intervals in agreement.
        for note in merge_cfg_options(cfg, namespace.options):
            print(f'--cfg-options also set {note}')
    return cfg
