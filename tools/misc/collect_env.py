"""Print the environment refseg runs in, for bug reports.

    python tools/misc/collect_env.py

MMEngine's environment report (Python, CUDA, GPUs, compilers, PyTorch build) plus what
refseg depends on: where refseg is imported from (an editable install points at one
checkout), the OpenMMLab versions against the supported ranges, whether mmcv has its
compiled ops, and the OpenCV packages installed (two of them share one ``cv2`` folder).
"""

import argparse
import sys
from typing import Dict, Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the environment for bug reports.')
    return parser.parse_args(argv)


def installed_version(name: str) -> Optional[str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def refseg_env() -> Dict[str, str]:
    """refseg's part of the report (imports refseg, mmcv and the optional packages)."""
    import importlib.util

    import refseg
    from refseg.utils.config import find_mim_folder
    from refseg.version import REQUIRED_VERSIONS

    env = {
        'refseg': f'{refseg.__version__} from {refseg.__file__}',
        'refseg configs': str(find_mim_folder('configs')),
    }
    for name, wanted in REQUIRED_VERSIONS.items():
        env[name] = f'{installed_version(name)} (supported {wanted})'
    try:
        import mmcv.ops  # noqa: F401

        env['mmcv ops'] = 'available'
    except ImportError as error:
        env['mmcv ops'] = f'missing ({error}): install the full mmcv build'
    for name in ('mmdet', 'transformers', 'tensorboard', 'wandb'):
        env[name] = installed_version(name) or 'not installed'
    opencv = {
        name: installed_version(name)
        for name in ('opencv-python', 'opencv-python-headless', 'opencv-contrib-python')
    }
    opencv = {name: v for name, v in opencv.items() if v}
    env['OpenCV packages'] = ', '.join(f'{n} {v}' for n, v in opencv.items()) or 'none'
    if len(opencv) > 1:
        env['OpenCV packages'] += (
            ' (several share one cv2 folder: keep opencv-python, which mmcv and mmengine require)'
        )
    env['cv2 from'] = str(importlib.util.find_spec('cv2').origin)
    return env


def main(argv: Optional[Sequence[str]] = None) -> int:
    parse_args(argv)

    from mmengine.utils.dl_utils import collect_env

    env = dict(collect_env())
    env.update(refseg_env())
    for name, value in env.items():
        print(f'{name}: {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
