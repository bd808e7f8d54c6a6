"""tests/conftest.py restores the default scope a test sets (issue 10 item 17).

The two tests run in file order: the first leaves mmdet's scope current, as the tiny
Mask R-CNN test's Runner does; the second must not see it.
"""

from mmengine.registry import DefaultScope, init_default_scope


def test_a_test_that_switches_to_mmdet_scope():
    init_default_scope('mmdet')
    assert DefaultScope.get_current_instance().scope_name == 'mmdet'


def test_the_next_test_does_not_inherit_it():
    current = DefaultScope.get_current_instance()
    assert current is None or current.scope_name != 'mmdet'
