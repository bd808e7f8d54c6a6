__version__ = '0.1.0'

# The OpenMMLab versions refseg is tested with; pyproject.toml declares the same ranges
# (tests/test_packaging checks that they agree) and refseg/__init__.py checks them.
REQUIRED_VERSIONS = {
    'mmengine': '>=0.10.0,<0.11.0',
    'mmcv': '>=2.0.0,<2.2.0',
    'mmsegmentation': '>=1.2.0,<1.3.0',
}
