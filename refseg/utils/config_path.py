"""Find refseg's configs where they are installed: ``refseg::cris/cris_r50_refcoco.py``.

A wheel ships configs/ as ``refseg/.mim/configs`` (as mmseg ships ``mmseg/.mim/configs``);
an editable install links that folder to the checkout's configs/ and a plain checkout on
``PYTHONPATH`` has configs/ next to the package. mmengine 0.10 resolves ``package::`` only
for the OpenMMLab packages in its fixed table (``mmengine.config.utils.MODULE2PACKAGE``), so
refseg's tools and :func:`refseg.apis.init_model` resolve ``refseg::`` here first.
"""
import os.path as osp
from typing import Optional

__all__ = ['PACKAGE_PREFIX', 'find_mim_folder', 'resolve_config_path']

PACKAGE_PREFIX = 'refseg::'
_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def find_mim_folder(name: str) -> Optional[str]:
    """The installed ``configs`` or ``tools`` folder, or None when there is none.

    Looks in ``refseg/.mim/<name>`` (wheel, editable install), then in ``<name>`` beside
    the package (a checkout used through ``PYTHONPATH``).
    """
    for folder in (osp.join(_PACKAGE_DIR, '.mim', name),
                   osp.join(osp.dirname(_PACKAGE_DIR), name)):
        if osp.isdir(folder):
            return folder
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
    relative = path[len(PACKAGE_PREFIX):]
    configs = find_mim_folder('configs')
    if configs is None:
        raise FileNotFoundError(
            f'{path!r}: this refseg installation has no configs (looked in '
            f'{osp.join(_PACKAGE_DIR, ".mim", "configs")} and beside the package). '
            'Install refseg from a wheel or with `pip install -e .` from a checkout.')
    config = osp.join(configs, relative)
    if not osp.isfile(config):
        raise FileNotFoundError(
            f'{path!r}: no config {relative!r} in {configs}; refseg:: paths are relative '
            "to refseg's configs/ folder, e.g. 'refseg::cris/cris_r50_refcoco.py'.")
    return config
