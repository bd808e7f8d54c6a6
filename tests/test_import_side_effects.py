"""Importing refseg changes nothing outside refseg: no registration into another project's
registry, no replaced function or class attribute, no file backend or checkpoint scheme,
no global setting."""

import json
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs in a fresh interpreter: import what refseg builds on, take a fingerprint of the
# OpenMMLab packages' state, import every refseg module, fingerprint again.
PROBE = textwrap.dedent("""
    import importlib, json, logging, pkgutil, sys, warnings
    import torch
    import mmcv.cnn, mmcv.transforms, mmengine.dataset, mmengine.evaluator, mmengine.fileio
    import mmengine.hooks, mmengine.model, mmengine.optim, mmengine.runner
    import mmengine.visualization, mmseg.datasets, mmseg.engine, mmseg.evaluation
    import mmseg.models, mmseg.structures, mmseg.utils, mmseg.visualization
    from mmengine.registry import DefaultScope, Registry

    OWNERS = ('mmengine', 'mmcv', 'mmseg', 'mmdet')

    def fingerprint():
        attrs, registries = {}, {}
        for name, module in sorted(sys.modules.items()):
            if module is None or not name.startswith(OWNERS):
                continue
            for attr, value in sorted(vars(module).items()):
                attrs[f'{name}.{attr}'] = id(value)
                if isinstance(value, Registry):
                    registries[f'{name}.{attr}'] = {
                        key: id(obj) for key, obj in value._module_dict.items()}
                elif isinstance(value, type) and value.__module__ == name:
                    for member, obj in vars(value).items():
                        attrs[f'{name}.{attr}.{member}'] = id(obj)
        from mmengine.fileio.backends import registry_utils
        from mmengine.runner.checkpoint import CheckpointLoader
        return dict(
            attrs=attrs, registries=registries,
            backends={k: id(v) for k, v in registry_utils.backends.items()},
            prefix_backends={k: id(v) for k, v in registry_utils.prefix_to_backends.items()},
            schemes={k: id(v) for k, v in CheckpointLoader._schemes.items()},
            default_scope=repr(DefaultScope.get_current_instance()),
            warnings=repr(warnings.filters), dtype=str(torch.get_default_dtype()),
            threads=torch.get_num_threads(), grad=torch.is_grad_enabled(),
            root_handlers=repr(logging.getLogger().handlers))

    before = fingerprint()
    import refseg
    for info in pkgutil.walk_packages(refseg.__path__, 'refseg.'):
        importlib.import_module(info.name)
    after = fingerprint()
    changes = {}
    for key, old in before.items():
        new = after[key]
        if isinstance(old, dict):
            diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            # Modules first imported by refseg are fine; their objects are checked where
            # they were before (a registry under its own module's name).
            diff = [k for k in diff if key not in ('attrs', 'registries') or k in old]
            if diff:
                changes[key] = diff[:20]
        elif old != new:
            changes[key] = [old, new]
    print(json.dumps(changes))
""")


def test_importing_refseg_changes_nothing_outside_it():
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    out = subprocess.run(
        [sys.executable, '-c', PROBE], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    changes = json.loads(out.stdout.strip().splitlines()[-1])
    assert changes == {}, f'importing refseg changed these outside refseg: {changes}'
