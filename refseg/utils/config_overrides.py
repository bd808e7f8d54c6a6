"""Command-line config overrides that keep dependent settings in agreement.

An mmengine config substitutes its variables when the file is read: after that,
``img_size`` or ``max_epochs`` are plain copies, and ``--cfg-options img_size=320`` would
change the copy and nothing that uses it. :func:`merge_cfg_options` merges the overrides
and then re-derives what must agree with them (docs/training.md, "One setting each"):

- ``img_size``: every ``LetterBox`` of that size, the data preprocessor's ``size`` and a
  backbone ``input_resolution`` equal to it (randomly initialised models; a pretrained
  CLIP keeps its own, and so does one set in the same overrides);
- the training length (``train_cfg.max_epochs`` / ``max_iters``, or the shorthands
  ``max_epochs`` / ``max_iters``): the schedule keeps its shape (milestones, warm-up,
  ``begin``/``end`` in the loop's unit scale by new/old), and the validation and
  checkpoint intervals that equalled the old length, or exceed the new one, follow it;
- the validation interval (``train_cfg.val_interval`` or ``val_interval``) and the
  checkpoint interval move together when they agreed;
- ``data_root``: every dataset's ``data_root`` of that value, and evaluator
  ``ann_file`` paths under it.

Overrides that cannot take effect raise a ``ValueError`` that says what to set instead.
"""

import copy
import os.path as osp
from typing import Any, Dict, List, Optional

from mmengine.config import Config

# Top-level keys that mmengine's Runner (Runner.from_cfg) and refseg's tools read from a
# config file's settings; tests/test_configs.py fingerprints them.
RUNNER_KEYS = frozenset(
    (
        'model',
        'train_dataloader',
        'val_dataloader',
        'test_dataloader',
        'train_cfg',
        'val_cfg',
        'test_cfg',
        'auto_scale_lr',
        'optim_wrapper',
        'param_scheduler',
        'val_evaluator',
        'test_evaluator',
        'default_hooks',
        'custom_hooks',
        'load_from',
        'resume',
        'env_cfg',
        'log_processor',
        'log_level',
        'visualizer',
        'default_scope',
        'randomness',
        'custom_imports',
        'model_wrapper_cfg',
        'find_unused_parameters',
        'runner_type',
        'img_size',
        'init_from_stage1',
    )
)
# Top-level keys that something reads after the file is parsed: the above, the ones the
# command line sets (work_dir, launcher, cfg, ...), and those this module keeps in agreement.
CONSUMED_KEYS = RUNNER_KEYS | frozenset(
    (
        'work_dir',
        'data_preprocessor',
        'launcher',
        'experiment_name',
        'data_root',
        'dist_params',
        'cfg',
    )
)
SHORTHANDS = {
    'max_epochs': 'train_cfg.max_epochs',
    'max_iters': 'train_cfg.max_iters',
    'val_interval': 'train_cfg.val_interval',
}
LETTERBOX_TYPES = ('LetterBox', 'refseg.LetterBox')


def merge_cfg_options(cfg: Config, options: Optional[Dict[str, Any]]) -> List[str]:
    """Merge ``--cfg-options`` into ``cfg`` and re-derive the settings tied to them.

    Args:
        cfg: The config, changed in place.
        options: ``{dotted key: value}`` as parsed by mmengine's ``DictAction``.

    Returns:
        One line per value changed beyond the overrides themselves, for the log.

    Raises:
        ValueError: An override that cannot take effect: a helper variable of the file,
            ``img_size`` where nothing has that size, a length in the wrong unit, or an
            input size the backbone cannot take.
    """
    if not options:
        return []
    options = {SHORTHANDS.get(key, key): value for key, value in options.items()}
    _refuse_helper_variables(cfg, options)
    _check_length_unit(cfg, options)
    before = copy.deepcopy(cfg._cfg_dict.to_dict())
    cfg.merge_from_dict(options)
    notes: List[str] = []
    if 'img_size' in options:
        notes += _derive_input_size(
            cfg,
            before.get('img_size'),
            options['img_size'],
            keep_resolution='model.backbone.input_resolution' in options,
        )
    if 'data_root' in options:
        notes += _derive_data_root(cfg, before.get('data_root'), options['data_root'])
    notes += _derive_length(cfg, before, options)
    notes += _derive_intervals(cfg, before, options)
    check_input_size(cfg)
    return notes


def _refuse_helper_variables(cfg: Config, options: Dict[str, Any]) -> None:
    for key in options:
        top = key.split('.')[0]
        if top in cfg and top not in CONSUMED_KEYS:
            raise ValueError(
                f'--cfg-options {key}: {top!r} is a variable of the config file '
                f'{cfg.filename}, copied into the settings that use it when the file '
                'was read, so changing it now would change nothing. Override those '
                'settings instead (e.g. train_dataloader.batch_size, '
                'optim_wrapper.optimizer.lr), or use one of the settings that refseg '
                'keeps in agreement: img_size, max_epochs/max_iters, val_interval '
                '(docs/training.md).'
            )


def _loop_unit(train_cfg: Optional[dict]) -> Optional[str]:
    if not train_cfg:
        return None
    if 'max_iters' in train_cfg or 'Iter' in str(train_cfg.get('type', '')):
        return 'max_iters'
    return 'max_epochs'


def _check_length_unit(cfg: Config, options: Dict[str, Any]) -> None:
    unit = _loop_unit(cfg.get('train_cfg'))
    for key in ('train_cfg.max_epochs', 'train_cfg.max_iters'):
        if (
            key in options
            and unit is not None
            and not key.endswith(unit)
            and 'train_cfg.type' not in options
        ):
            loop = cfg.train_cfg.get('type', 'its train loop')
            raise ValueError(
                f'--cfg-options {key}: {cfg.filename} trains with {loop}, which counts '
                f'{unit[4:]}; set train_cfg.{unit} (or {unit}) instead.'
            )


def _pipelines(node: Any, found: Optional[list] = None) -> list:
    """Every ``pipeline`` list in a config tree."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pipeline' and isinstance(value, list):
                found.append(value)
            else:
                _pipelines(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _pipelines(value, found)
    return found


def _letterboxes(cfg: Config) -> list:
    tree = [
        cfg.get(key)
        for key in (
            'train_dataloader',
            'val_dataloader',
            'test_dataloader',
            'train_pipeline',
            'test_pipeline',
        )
    ]
    boxes = []
    for node in tree:
        pipelines = [node] if isinstance(node, list) else _pipelines(node)
        for pipeline in pipelines:
            boxes += [
                t for t in pipeline if isinstance(t, dict) and t.get('type') in LETTERBOX_TYPES
            ]
    return boxes


def _derive_input_size(cfg: Config, old: Any, new: Any, keep_resolution: bool = False) -> List[str]:
    if old is None:
        raise ValueError(
            f'--cfg-options img_size: {cfg.filename} has no img_size setting; set '
            'the sizes of its resize steps and model.data_preprocessor.size instead.'
        )
    if not isinstance(new, int) or new <= 0:
        raise ValueError(
            f'--cfg-options img_size: expected a positive integer (the '
            f'side of the square letterbox), got {new!r}.'
        )
    backbone = cfg.get('model', {}).get('backbone', {}) or {}
    stride = backbone.get('patch_size') or (32 if 'ResNet' in str(backbone.get('type')) else None)
    if stride and new % stride:
        raise ValueError(
            f'--cfg-options img_size={new}: the {backbone.get("type")} backbone of '
            f'{cfg.filename} needs a multiple of {stride}.'
        )
    boxes = [box for box in _letterboxes(cfg) if box.get('size') == old]
    if not boxes:
        raise ValueError(
            f'--cfg-options img_size: no LetterBox of size {old} in the pipelines of '
            f'{cfg.filename}, so img_size={new} would change nothing.'
        )
    for box in boxes:
        box['size'] = new
    notes = [f'img_size {old} -> {new}: {len(boxes)} LetterBox steps']
    model = cfg.get('model') or {}
    for owner, name in (
        (model.get('data_preprocessor'), 'model.data_preprocessor'),
        (cfg.get('data_preprocessor'), 'data_preprocessor'),
    ):
        if owner and owner.get('size') is not None and tuple(owner.size) == (old, old):
            owner.size = (new, new)
            notes.append(f'{name}.size -> {(new, new)}')
    # An explicit input_resolution wins: testing a trained model at another size keeps
    # the positional grid its checkpoint holds (the backbone interpolates at run time).
    if backbone.get('input_resolution') == old and not keep_resolution:
        backbone.input_resolution = new
        notes.append(f'model.backbone.input_resolution -> {new}')
    return notes


def _derive_data_root(cfg: Config, old: Any, new: Any) -> List[str]:
    if not old:
        raise ValueError(
            f'--cfg-options data_root: {cfg.filename} has no data_root '
            'setting; set train_dataloader.dataset.data_root (and val, test).'
        )
    changed = []

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'data_root' and value == old:
                    node[key] = new
                    changed.append(f'{path}.{key}')
                elif (
                    key == 'ann_file'
                    and 'evaluator' in path
                    and isinstance(value, str)
                    and value.startswith(old)
                ):
                    node[key] = new + value[len(old) :]
                    changed.append(f'{path}.{key}')
                else:
                    visit(value, f'{path}.{key}')
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f'{path}[{index}]')

    for key in (
        'train_dataloader',
        'val_dataloader',
        'test_dataloader',
        'val_evaluator',
        'test_evaluator',
    ):
        visit(cfg.get(key), key)
    if not changed:
        raise ValueError(
            f'--cfg-options data_root: no dataset of {cfg.filename} reads '
            f'{old!r}, so data_root={new!r} would change nothing.'
        )
    return [f'data_root -> {new!r}: ' + ', '.join(changed)]


def _scaled(value: int, ratio: float, limit: int) -> int:
    return max(0, min(limit, round(value * ratio)))


def _derive_length(cfg: Config, before: dict, options: Dict[str, Any]) -> List[str]:
    unit = _loop_unit(before.get('train_cfg'))
    if unit is None or f'train_cfg.{unit}' not in options:
        return []
    old, new = before['train_cfg'][unit], cfg.train_cfg[unit]
    if old == new or not old:
        return []
    if not isinstance(new, int) or new <= 0:
        raise ValueError(
            f'--cfg-options train_cfg.{unit}: expected a positive integer, got {new!r}.'
        )
    notes = []
    ratio = new / old
    schedulers = cfg.get('param_scheduler')
    if schedulers is not None and not any(k.startswith('param_scheduler') for k in options):
        by_epoch = unit == 'max_epochs'
        for index, sched in enumerate([schedulers] if isinstance(schedulers, dict) else schedulers):
            if sched.get('by_epoch', True) != by_epoch:
                continue  # e.g. an iteration warm-up inside an epoch-based run
            for key in ('begin', 'end', 'T_max'):
                if isinstance(sched.get(key), int):
                    sched[key] = _scaled(sched[key], ratio, new)
            if isinstance(sched.get('end'), int) and sched.end <= sched.get('begin', 0):
                sched.end = sched.get('begin', 0) + 1  # a scheduler needs end > begin
            if 'milestones' in sched:
                sched.milestones = sorted(
                    {max(1, _scaled(m, ratio, new)) for m in sched.milestones}
                )
            notes.append(f'param_scheduler[{index}] ({sched.get("type")}) scaled by {new}/{old}')
    explicit_val = 'train_cfg.val_interval' in options
    explicit_ckpt = 'default_hooks.checkpoint.interval' in options
    old_val = before['train_cfg'].get('val_interval')
    if not explicit_val and isinstance(old_val, int) and (old_val == old or old_val > new):
        cfg.train_cfg.val_interval = new
        notes.append(f'train_cfg.val_interval -> {new}')
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    old_ckpt = (((before.get('default_hooks') or {}).get('checkpoint')) or {}).get('interval')
    same_unit = checkpoint is not None and checkpoint.get('by_epoch', True) == (
        unit == 'max_epochs'
    )
    if (
        same_unit
        and not explicit_ckpt
        and isinstance(old_ckpt, int)
        and (old_ckpt == old or old_ckpt > new)
    ):
        checkpoint.interval = new
        notes.append(f'default_hooks.checkpoint.interval -> {new}')
    return notes


def _derive_intervals(cfg: Config, before: dict, options: Dict[str, Any]) -> List[str]:
    old_val = (before.get('train_cfg') or {}).get('val_interval')
    old_ckpt = (((before.get('default_hooks') or {}).get('checkpoint')) or {}).get('interval')
    if old_val is None or old_val != old_ckpt:
        return []
    val_key, ckpt_key = 'train_cfg.val_interval', 'default_hooks.checkpoint.interval'
    if val_key in options and ckpt_key not in options:
        cfg.default_hooks.checkpoint.interval = cfg.train_cfg.val_interval
        return [f'{ckpt_key} -> {cfg.train_cfg.val_interval} (as {val_key})']
    if ckpt_key in options and val_key not in options:
        cfg.train_cfg.val_interval = cfg.default_hooks.checkpoint.interval
        return [f'{val_key} -> {cfg.train_cfg.val_interval} (as {ckpt_key})']
    return []


def check_input_size(cfg: Config) -> None:
    """Raise a ``ValueError`` if a ``LetterBox`` and the data preprocessor disagree."""
    preprocessor = (cfg.get('model') or {}).get('data_preprocessor') or {}
    size = preprocessor.get('size')
    if size is None:
        return
    sizes = {box.get('size') for box in _letterboxes(cfg)}
    wrong = sorted(s for s in sizes if (s, s) != tuple(size))
    if wrong:
        raise ValueError(
            f'{cfg.filename}: the pipelines letterbox to {wrong} but '
            f'model.data_preprocessor.size is {tuple(size)}; set both with '
            '--cfg-options img_size=N.'
        )


def resolve_stage1_checkpoint(
    cfg: Config, config_path: str, work_root: str = 'work_dirs'
) -> Optional[str]:
    """Point ``load_from`` of a stage-2 config at its stage 1's last checkpoint.

    Applies when the config sets ``init_from_stage1`` (``True``: stage 1 was trained in
    ``<work_root>/<config name>_stage1``; a string: that work dir) and ``load_from`` is
    not set. With ``resume=True`` (``tools/train.py --resume``) a stage 2 that has a
    checkpoint of its own in ``cfg.work_dir`` resumes from it; one that has none yet
    starts from stage 1 rather than from random weights.

    Returns:
        The checkpoint path now in ``cfg.load_from``, or None if nothing applied.

    Raises:
        FileNotFoundError: Stage 1 has no checkpoint yet; the message names the command
            that trains it.
    """
    stage1 = cfg.get('init_from_stage1')
    if not stage1 or cfg.get('load_from'):
        return None
    if cfg.get('resume'):
        own = osp.join(cfg.get('work_dir') or '', 'last_checkpoint')
        if cfg.get('work_dir') and osp.isfile(own):
            return None
        cfg.resume = False
    stage1_config = osp.splitext(config_path)[0] + '_stage1.py'
    work_dir = (
        stage1
        if isinstance(stage1, str)
        else osp.join(work_root, osp.splitext(osp.basename(stage1_config))[0])
    )
    pointer = osp.join(work_dir, 'last_checkpoint')
    checkpoint = None
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8') as file:
            checkpoint = file.read().strip()
    if not checkpoint or not osp.isfile(checkpoint):
        found = (
            f'{pointer} names {checkpoint}, which does not exist'
            if checkpoint
            else f'{pointer} does not exist'
        )
        raise FileNotFoundError(
            f'{config_path} is a stage-2 config: it starts from the last checkpoint of '
            f'stage 1, but {found}. Train stage 1 first:\n'
            f'  python tools/train.py {stage1_config}\n'
            f'or both stages in a row:\n'
            f'  bash tools/train_two_stage.sh {config_path} GPUS\n'
            'or give a checkpoint with --cfg-options load_from=PATH (a stage-1 work dir '
            'elsewhere: init_from_stage1=DIR).'
        )
    cfg.load_from = checkpoint
    return checkpoint
