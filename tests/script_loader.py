"""Loads a repository script (under tools/ or demo/) as a module, for tests."""

import importlib.util
import os.path as osp
import types

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_script(relative_path: str) -> types.ModuleType:
    """Executes a script of the repository as a fresh module.

    The module, named after the file's stem, is not registered in ``sys.modules``:
    each call runs the script again and returns a new module.

    Args:
        relative_path: The script's path relative to the repository root, e.g.
            ``'tools/analysis_tools/text_blind_baselines.py'``.

    Returns:
        The executed module.
    """
    path = osp.join(ROOT, relative_path)
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
