"""The refseg registry scope: lazy, reachable from mmseg/mmdet scopes, cheap to import."""

import json
import subprocess
import sys
import textwrap

import mmseg.registry
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope

# A small refseg module with a fixed configuration: the CRIS neck at test widths.
TINY_NECK = dict(in_channels=(16, 32, 8), out_channels=(8, 16, 32), state_dim=8)


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_import_refseg_is_cheap():
    loaded = json.loads(
        run_python("""
        import json, sys
        import refseg
        print(json.dumps(sorted(sys.modules)))
    """)
    )
    heavy = [
        name
        for name in loaded
        if name.split('.')[0] in ('torch', 'mmseg', 'mmcv', 'mmengine')
        or name.startswith('refseg.models')
    ]
    assert heavy == []


def test_default_scope_refseg_resolves_lazily_without_imports():
    # Only mmengine is imported: the scope name alone finds refseg.registry and its
    # lazy locations, as a config with default_scope='refseg' does in tools/train.py.
    found = json.loads(
        run_python(f"""
        import json
        from mmengine.registry import HOOKS, MODELS, init_default_scope
        init_default_scope('refseg')
        neck = MODELS.build(dict(type='CRISNeck', **{TINY_NECK!r}))
        hook = HOOKS.build(dict(type='AtomicCheckpointHook', interval=2))
        print(json.dumps([type(neck).__module__, type(hook).__module__,
                          hook.interval]))
    """)
    )
    assert found == ['refseg.models.necks.cris_neck', 'refseg.engine.hooks.checkpoint_hook', 2]


def test_refseg_modules_build_from_mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        from_mmseg = mmseg.registry.MODELS.build(dict(type='refseg.CRISNeck', **TINY_NECK))
        from_root = MMENGINE_MODELS.build(dict(type='refseg.CRISNeck', **TINY_NECK))
        # mmseg's own modules still resolve unprefixed in that scope.
        loss = mmseg.registry.MODELS.build(dict(type='CrossEntropyLoss', avg_non_ignore=True))
    assert type(from_mmseg).__name__ == type(from_root).__name__ == 'CRISNeck'
    assert type(from_mmseg).__module__ == 'refseg.models.necks.cris_neck'
    assert type(loss).__module__.startswith('mmseg.')


def test_refseg_hook_builds_from_another_project_scope():
    # e.g. an mmdet-scoped config (configs/partseg) asking for refseg's checkpoint hook.
    with DefaultScope.overwrite_default_scope('mmdet'):
        hook = MMENGINE_HOOKS.build(dict(type='refseg.AtomicCheckpointHook', max_keep_ckpts=1))
    assert type(hook).__module__ == 'refseg.engine.hooks.checkpoint_hook'
    assert hook.max_keep_ckpts == 1


def test_mmseg_modules_build_with_prefix_in_refseg_scope():
    from refseg.registry import MODELS

    with DefaultScope.overwrite_default_scope('refseg'):
        loss = MODELS.build(dict(type='mmseg.CrossEntropyLoss', avg_non_ignore=True))
    assert type(loss).__module__.startswith('mmseg.')
