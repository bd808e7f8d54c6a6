"""Build hook: ship configs/, tools/ and model-index.yml inside the package as ``refseg/.mim/``.

The metadata lives in pyproject.toml. As in mmseg and mmdet, ``refseg/.mim/configs`` and
``refseg/.mim/tools`` are what ``refseg::`` config paths and ``mim`` read. A wheel gets
copies; an editable install (``pip install -e .``) gets symlinks into the checkout, so that
edits to configs take effect without reinstalling. Neither is tracked by git.
"""

import os
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
MIM_FOLDERS = ('configs', 'tools')
MIM_FILES = ('model-index.yml',)
SKIPPED = shutil.ignore_patterns('__pycache__', '*.pyc')


def link_into_checkout() -> None:
    """Point ``refseg/.mim/{configs,tools}`` at the checkout's folders (editable install)."""
    mim = osp.join(HERE, 'refseg', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FOLDERS + MIM_FILES:
        link = osp.join(mim, name)
        if osp.islink(link) or osp.isfile(link):
            os.remove(link)
        elif osp.isdir(link):
            shutil.rmtree(link)
        os.symlink(osp.join('..', '..', name), link)


class BuildPyWithMim(build_py):
    """``build_py`` that adds configs/ and tools/ under ``refseg/.mim``."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            link_into_checkout()
            return
        mim = osp.join(self.build_lib, 'refseg', '.mim')
        for name in MIM_FOLDERS:
            target = osp.join(mim, name)
            if osp.lexists(target):
                shutil.rmtree(target)
            shutil.copytree(osp.join(HERE, name), target, ignore=SKIPPED)
        for name in MIM_FILES:
            shutil.copy2(osp.join(HERE, name), osp.join(mim, name))


setup(cmdclass={'build_py': BuildPyWithMim})
