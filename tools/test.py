"""Evaluate a refseg checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out PATH] [--show]
                         [--show-dir DIR] [--show-interval N] [--non-strict]
                         [--cfg-options KEY=VALUE ...]
                         [--launcher none|pytorch|slurm|mpi]

The checkpoint (a path or an ``http(s)://``, ``open-mmlab://``, ``s3://`` ... address) is
read with ``torch.load(weights_only=True)`` and must fit the model: missing, unexpected or
mis-shaped keys stop the run with a list of them unless ``--non-strict``. An ``.onnx`` file
from ``tools/deployment/export_onnx.py`` (its int8 form included) in its place is scored on
ONNX Runtime with the config's data and evaluator; ``model.*`` options cannot change it.
An ``--out`` path that cannot be written is reported before the evaluation starts. See
docs/training.md.
CONFIG may be a path or ``refseg::<path under configs/>``.

Arguments are parsed before torch, mmengine or refseg are imported, so ``--help`` is quick.
"""

import argparse
import inspect
import os
import os.path as osp
import tempfile
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from mmengine.config import Config

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
PER_SENTENCE_FILE = 'per_sentence.json'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a refseg checkpoint.')
    parser.add_argument(
        'config', help='config file, or refseg::<path under configs/> for an installed one'
    )
    parser.add_argument(
        'checkpoint', help='checkpoint file, or an .onnx file exported from the config'
    )
    parser.add_argument(
        '--work-dir', help='folder for the evaluation logs (default: work_dirs/<config name>)'
    )
    parser.add_argument(
        '--out',
        help='write per-sentence results (ids, text, IoU) as JSON: a .json file, '
        f'or a folder that gets {PER_SENTENCE_FILE}',
    )
    parser.add_argument('--show', action='store_true', help='show each prediction in a window')
    parser.add_argument(
        '--show-dir',
        help='save images with the predicted and ground-truth masks and the '
        'expression drawn on them to this folder',
    )
    parser.add_argument('--wait-time', type=float, default=2, help='seconds each --show lasts')
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='evaluate even when the checkpoint does not fit the model (missing or '
        'unexpected keys are then only logged)',
    )
    parser.add_argument(
        '--show-interval',
        type=int,
        default=None,
        help='draw every N-th test sample with --show/--show-dir (default: the '
        "visualization hook's interval, 50; 1 draws all)",
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config settings, e.g. test_evaluator.threshold=0.35; '
        'lists as key=[a,b] or key=a,b, quoted without spaces',
    )
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='job launcher (tools/dist_test.sh and slurm_test.sh set it)',
    )
    # torch.distributed.launch passes --local_rank, torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(
    cfg: 'Config',
    show: bool,
    show_dir: Optional[str],
    wait_time: float,
    interval: Optional[int] = None,
) -> None:
    """Switch on drawing in the ``visualization`` default hook (every ``interval``-th
    sample; None keeps the hook's own interval).

    Raises:
        KeyError: If the config has no ``default_hooks.visualization``.
        ValueError: If ``show_dir`` is given and the hook takes no output folder.
    """
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise KeyError(
            f'--show/--show-dir need default_hooks.visualization in {cfg.filename}; '
            'configs inheriting configs/_base_/default_runtime.py have it '
            "(type='RefSegVisualizationHook')."
        )
    from mmengine.registry import HOOKS

    hook.draw = True
    if interval is not None:
        hook.interval = interval
    if show:
        hook.show = True
        hook.wait_time = wait_time
    if show_dir is None:
        return
    with HOOKS.switch_scope_and_registry(cfg.get('default_scope')) as registry:
        hook_class = registry.get(hook.type)
    # refseg's RefSegVisualizationHook takes show_dir, mmdet's DetVisualizationHook
    # (the Mask R-CNN baseline) test_out_dir.
    for name in ('show_dir', 'test_out_dir'):
        if hook_class is not None and _takes_argument(hook_class, name):
            hook[name] = show_dir
            return
    raise ValueError(
        f'--show-dir: the visualization hook {hook.type!r} takes neither show_dir nor test_out_dir.'
    )


def set_output_file(cfg: 'Config', out: str) -> None:
    """Make the test metrics that take ``output_file`` write their per-sentence results.

    Raises:
        KeyError: If a test metric type is not registered.
        ValueError: If no test metric takes ``output_file``.
    """
    from mmengine.registry import METRICS

    path = out if out.endswith('.json') else osp.join(out, PER_SENTENCE_FILE)
    evaluator = cfg.test_evaluator
    metrics = [evaluator] if isinstance(evaluator, dict) else list(evaluator)
    scope = cfg.get('default_scope')
    with METRICS.switch_scope_and_registry(scope) as registry:
        classes = [registry.get(metric['type']) for metric in metrics]
    unknown = [m['type'] for m, klass in zip(metrics, classes) if klass is None]
    if unknown:
        raise KeyError(
            f'test_evaluator names metrics {unknown} that are not '
            f'registered (default_scope {scope!r}).'
        )
    writers = [
        metric for metric, klass in zip(metrics, classes) if _takes_argument(klass, 'output_file')
    ]
    if not writers:
        raise ValueError(
            f'--out: none of the test metrics {[m["type"] for m in metrics]} takes '
            'output_file (RefSegMetric and its subclasses do).'
        )
    check_writable(path)
    stem = osp.splitext(path)[0]
    for index, metric in enumerate(writers):
        # One file per metric, so that they do not overwrite each other.
        metric.output_file = path if len(writers) == 1 else f'{stem}_{index}.json'


def check_writable(path: str) -> None:
    """Fail now, not after the evaluation, if ``path`` cannot be written.

    Raises:
        PermissionError: If the folder cannot be created or written to; names the path.
    """
    folder = osp.dirname(osp.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix='.write_check_'):
            pass
        if osp.isdir(path):
            raise IsADirectoryError(f'{path} is a folder')
    except OSError as error:
        raise PermissionError(
            f'--out {path} cannot be written ({error}); choose another path before evaluating.'
        ) from error


def check_checkpoint_fits(model, checkpoint: str) -> None:
    """Raise :class:`CheckpointMismatchError` if ``checkpoint`` does not fit ``model``.

    Keys are compared as ``init_model`` compares them: missing, unexpected and
    mis-shaped entries of the state dict (a ``module.`` prefix is ignored).
    """
    from refseg.apis.inference import CheckpointMismatchError
    from refseg.utils.checkpoint import load_from_weights_only

    loaded = load_from_weights_only(checkpoint, map_location='cpu')
    weights = loaded.get('state_dict', loaded) if isinstance(loaded, dict) else loaded
    if not isinstance(weights, dict):
        raise TypeError(
            f'checkpoint {checkpoint} holds a {type(weights).__name__}, expected a dict of tensors'
        )
    weights = {
        key[len('module.') :] if key.startswith('module.') else key: value
        for key, value in weights.items()
    }
    own = model.state_dict()
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    mismatched = [
        f'{key}: checkpoint {tuple(weights[key].shape)} vs model {tuple(value.shape)}'
        for key, value in own.items()
        if key in weights and hasattr(weights[key], 'shape') and weights[key].shape != value.shape
    ]
    if missing or unexpected or mismatched:
        raise CheckpointMismatchError(checkpoint, missing, unexpected, mismatched)


def use_onnx_file(
    cfg: 'Config', path: str, launcher: str, cfg_options: Optional[list] = None
) -> None:
    """Make the runner score ``path``, an exported ``.onnx`` file, instead of the
    config's model: the network runs on ONNX Runtime (``ONNXSegmentor``), the data,
    evaluator and hooks are the config's.

    Raises:
        ValueError: For ``model.*`` settings in the config options, which cannot
            reach a network and thresholds fixed at export, and for a distributed
            launcher (an ONNX model has no parameters for DDP to wrap).
    """
    if launcher != 'none':
        raise ValueError(
            f'{path}: an .onnx file is scored in one process (--launcher none), '
            f'got --launcher {launcher}'
        )
    options = [option for option in cfg_options or [] if option.startswith('model.')]
    if options:
        raise ValueError(
            f'--cfg-options {options}: model settings do not apply to {path}, whose '
            'network and thresholds were fixed when it was exported; export it again '
            'from a config with them (tools/deployment/export_onnx.py)'
        )
    cfg.model = dict(type='refseg.ONNXSegmentor', path=path)
    # The file carries its own preprocessor (from the config it was exported from); the
    # runner would otherwise pass the top-level one to the model.
    cfg.pop('data_preprocessor', None)
    cfg.load_from = None


def _takes_argument(component_class: type, name: str) -> bool:
    # Subclasses may pass it on through **kwargs, so look along the MRO.
    return any(
        name in inspect.signature(klass.__init__).parameters
        for klass in component_class.__mro__
        if '__init__' in vars(klass)
    )


def main() -> None:
    args = parse_args()

    from mmengine.model import is_model_wrapper

    from refseg.engine.launcher import build_runner, finish_distributed, setup_launcher
    from refseg.utils.checkpoint import weights_only_checkpoint_loading
    from refseg.utils.config import load_config

    cfg = load_config(args.config, args.cfg_options)
    setup_launcher(cfg, args.launcher)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    onnx_file = args.checkpoint.endswith('.onnx')
    if onnx_file:
        use_onnx_file(cfg, args.checkpoint, args.launcher, args.cfg_options)
    else:
        cfg.load_from = args.checkpoint
    cfg.resume = False

    if args.show or args.show_dir:
        enable_visualization(cfg, args.show, args.show_dir, args.wait_time, args.show_interval)
    if args.out is not None:
        set_output_file(cfg, args.out)

    with weights_only_checkpoint_loading():
        runner = build_runner(cfg)
        if not (args.non_strict or onnx_file):
            model = runner.model
            check_checkpoint_fits(
                model.module if is_model_wrapper(model) else model, args.checkpoint
            )
        runner.test()
    # The DDP wrapper holds the process group: drop it first, or the group outlives
    # destroy_process_group() until interpreter exit (see finish_distributed).
    del runner
    finish_distributed()


if __name__ == '__main__':
    main()
