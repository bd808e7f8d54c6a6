"""refseg: referring image segmentation on MMSegmentation 1.x.

Importing this package stays cheap: nothing from torch models or mmseg is imported here,
and the OpenMMLab versions are checked from the installed metadata, not by importing them.
Components are registered lazily through :mod:`refseg.registry`.
"""

from .version import REQUIRED_VERSIONS, __version__


def check_dependencies() -> None:
    """Raise a clear ImportError when mmengine, mmcv or mmsegmentation is missing or
    outside the range refseg supports (``refseg.version.REQUIRED_VERSIONS``)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    problems = []
    for name, specifier in REQUIRED_VERSIONS.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            problems.append(f'{name} is not installed')
            continue
        # Local labels (2.1.0+cu118) do not change the release.
        if Version(installed.split('+')[0]) not in SpecifierSet(specifier):
            problems.append(f'{name} {installed} is installed')
    if problems:
        wanted = ', '.join(f'{name}{spec}' for name, spec in REQUIRED_VERSIONS.items())
        raise ImportError(
            f'refseg {__version__} needs {wanted}, but ' + '; '.join(problems) + '. '
            'Install them with `bash tools/setup_env.sh` from a checkout, or see '
            'docs/get_started.md (mmcv must be the full build with mmcv.ops).'
        )


check_dependencies()

__all__ = ['__version__', 'check_dependencies']
