"""Key mapping between official CRIS checkpoints (DerrickWang005/CRIS.pytorch) and
refseg's ``RefSegmentor`` with ``CLIPResNet`` + ``CLIPTextTransformer`` +
``CRISNeck`` + ``CRISHead``.

Official layout (after stripping DDP's ``module.``)::

    backbone.visual.*                  CLIP image tower (+ attnpool.connect.{0,1})
    backbone.{token_embedding, positional_embedding, transformer, ln_final,
              text_projection}.*       CLIP text tower
    backbone.logit_scale               unused by CRIS; refseg has no such parameter
    neck.*, decoder.*, proj.*

refseg layout::

    backbone.*  text_encoder.*  neck.*  decode_head.decoder.*  decode_head.projector.*

The CLIP towers keep OpenAI's names, so only the prefixes change there. Inside the neck
and the projector, each official ``nn.Sequential(conv, bn, relu)`` (``.0``/``.1``) is a
ConvModule (``.conv``/``.bn``); :data:`NECK_RENAMES` and :data:`PROJECTOR_RENAMES` list
every such prefix.
"""

from collections import OrderedDict
from typing import Dict, List, Mapping, Tuple

from torch import Tensor

# The official model keeps the CLIP text tower's entries under ``backbone.``.
from ..backbones.clip.weights import TEXT_KEY_PREFIXES

#: Official entries with no refseg counterpart (dropped on conversion).
DROPPED_KEYS = ('logit_scale',)

_CBR_NAMES = (
    'f1_v_proj',
    'f2_v_proj',
    'f2_cat',
    'f3_v_proj',
    'f3_cat',
    'f4_proj5',
    'f4_proj4',
    'f4_proj3',
    'aggr',
    'coordconv.1',
)

#: (official prefix, refseg prefix) inside ``neck.``.
NECK_RENAMES: Tuple[Tuple[str, str], ...] = (
    ('txt_proj.0.', 'txt_proj.fc.'),
    ('txt_proj.1.', 'txt_proj.bn.'),
    ('coordconv.0.conv1.0.', 'coordconv.0.conv.'),
    ('coordconv.0.conv1.1.', 'coordconv.0.bn.'),
    *((f'{name}.0.', f'{name}.conv.') for name in _CBR_NAMES),
    *((f'{name}.1.', f'{name}.bn.') for name in _CBR_NAMES),
)

#: (official prefix, refseg prefix) inside ``proj.`` / ``decode_head.projector.``.
PROJECTOR_RENAMES: Tuple[Tuple[str, str], ...] = (
    ('vis.1.0.', 'vis.1.conv.'),
    ('vis.1.1.', 'vis.1.bn.'),
    ('vis.3.0.', 'vis.3.conv.'),
    ('vis.3.1.', 'vis.3.bn.'),
)


def _rename(key: str, renames: Tuple[Tuple[str, str], ...], inverse: bool) -> str:
    for official, ours in renames:
        old, new = (ours, official) if inverse else (official, ours)
        if key.startswith(old):
            return new + key[len(old) :]
    return key


def _official_to_refseg_key(key: str) -> str:
    """refseg name of one official key, or '' for a dropped one."""
    if key.startswith('backbone.'):
        rest = key[len('backbone.') :]
        if rest.startswith('visual.'):
            return 'backbone.' + rest[len('visual.') :]
        if rest.startswith(TEXT_KEY_PREFIXES):
            return 'text_encoder.' + rest
        if rest in DROPPED_KEYS:
            return ''
    elif key.startswith('neck.'):
        return 'neck.' + _rename(key[len('neck.') :], NECK_RENAMES, inverse=False)
    elif key.startswith('decoder.'):
        return 'decode_head.' + key
    elif key.startswith('proj.'):
        return 'decode_head.projector.' + _rename(
            key[len('proj.') :], PROJECTOR_RENAMES, inverse=False
        )
    raise KeyError(key)


def _refseg_to_official_key(key: str) -> str:
    if key.startswith('backbone.'):
        return 'backbone.visual.' + key[len('backbone.') :]
    if key.startswith('text_encoder.'):
        return 'backbone.' + key[len('text_encoder.') :]
    if key.startswith('neck.'):
        return 'neck.' + _rename(key[len('neck.') :], NECK_RENAMES, inverse=True)
    if key.startswith('decode_head.decoder.'):
        return key[len('decode_head.') :]
    if key.startswith('decode_head.projector.'):
        return 'proj.' + _rename(
            key[len('decode_head.projector.') :], PROJECTOR_RENAMES, inverse=True
        )
    raise KeyError(key)


def _map_keys(
    state_dict: Mapping[str, Tensor], mapper, source: str, expected: str
) -> 'OrderedDict[str, Tensor]':
    converted: Dict[str, Tensor] = OrderedDict()
    unknown: List[str] = []
    for key, value in state_dict.items():
        try:
            new_key = mapper(key)
        except KeyError:
            unknown.append(key)
            continue
        if new_key:
            converted[new_key] = value
    if unknown:
        shown = ', '.join(unknown[:8]) + (' ...' if len(unknown) > 8 else '')
        raise KeyError(
            f'{len(unknown)} {source} keys have no mapping (expected {expected}): {shown}'
        )
    return converted


def cris_official_to_refseg(state_dict: Mapping[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename an official CRIS state dict to refseg's layout.

    A leading ``module.`` (DDP) is stripped; ``backbone.logit_scale`` is dropped.

    Args:
        state_dict (Mapping[str, Tensor]): The official ``state_dict``.

    Returns:
        OrderedDict[str, Tensor]: The same tensors under refseg names.

    Raises:
        KeyError: Naming every key that is not part of the official CRIS layout.
    """
    stripped = OrderedDict(
        (key[len('module.') :] if key.startswith('module.') else key, value)
        for key, value in state_dict.items()
    )
    return _map_keys(
        stripped, _official_to_refseg_key, 'official CRIS', 'backbone.*, neck.*, decoder.*, proj.*'
    )


def refseg_to_cris_official(state_dict: Mapping[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Inverse of :func:`cris_official_to_refseg` (without ``module.`` and
    ``logit_scale``): export a refseg CRIS model in the official layout.

    Args:
        state_dict (Mapping[str, Tensor]): A refseg CRIS ``state_dict``.

    Returns:
        OrderedDict[str, Tensor]: The same tensors under official names.
    """
    return _map_keys(
        state_dict,
        _refseg_to_official_key,
        'refseg CRIS',
        'backbone.*, text_encoder.*, neck.*, decode_head.decoder.*, decode_head.projector.*',
    )
