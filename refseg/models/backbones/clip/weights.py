"""Loading CLIP weights (OpenAI, OpenCLIP, Hugging Face) into refseg's towers.

Every loader returns a state dict in OpenAI's key layout (``visual.*`` for the
image tower; ``token_embedding``, ``positional_embedding``, ``transformer.*``,
``ln_final``, ``text_projection`` for the text tower; ``logit_scale``). The
towers keep OpenAI's names, so a part loads by stripping ``visual.``.

Files from elsewhere are read weights-only: ``torch.load(weights_only=True)``,
safetensors, or, for OpenAI's TorchScript archives, a restricted unpickler of
the archive's ``data.pkl`` that rebuilds tensors only
(:func:`refseg.utils.safe_pickle.read_torchscript_weights`); ``torch.jit.load``
is never called, since it runs the archive's ``__setstate__`` code.

``logit_scale`` is dropped when a checkpoint is split into towers: no refseg
module has it (CRIS keeps it in its model but never uses it).
"""

import json
import logging
import math
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from torch import Tensor

from refseg.registry import WEIGHT_INITIALIZERS
from refseg.utils.safe_pickle import is_torchscript_archive, read_torchscript_weights

from .layers import CLIPTower, resize_pos_embed
from .resnet import CLIPResNet
from .vit import CLIPVisionTransformer

__all__ = [
    'load_clip_state_dict',
    'convert_hf_clip_state_dict',
    'split_clip_state_dict',
    'infer_clip_config',
    'clip_to_refseg_state_dict',
    'CLIPPretrained',
]

StateDict = Dict[str, Tensor]

# Scalars stored in OpenAI's archives next to the weights.
OPENAI_METADATA_KEYS = ('input_resolution', 'context_length', 'vocab_size')
TEXT_KEY_PREFIXES = (
    'token_embedding.',
    'positional_embedding',
    'transformer.',
    'ln_final.',
    'text_projection',
)
WEIGHT_FILE_SUFFIXES = ('.pt', '.pth', '.bin', '.safetensors', '.ckpt')
HF_WEIGHT_FILES = (
    'model.safetensors',
    'model.safetensors.index.json',
    'pytorch_model.bin',
    'pytorch_model.bin.index.json',
)
# OpenAI's archives, as the `clip` package downloads them: the SHA-256 of each file is the
# folder name in its URL.
OPENAI_CLIP_SHA256 = {
    'RN50.pt': 'afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762',
    'RN101.pt': '8fa8567bab74a42d41c5915025a8e4538c3bdbe8804a470a72f30b0d94fab599',
    'ViT-B-16.pt': '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f',
    'ViT-L-14.pt': 'b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836',
}
OPENAI_CLIP_URL = 'https://openaipublic.azureedge.net/clip/models/{sha256}/{name}'
HF_CLIP_REPOS = ('openai/clip-vit-base-patch16', 'openai/clip-vit-large-patch14')


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------
def load_clip_state_dict(path: str) -> 'OrderedDict[str, Tensor]':
    """Read CLIP weights into a state dict in OpenAI's key layout.

    Accepted sources:

    * an OpenAI TorchScript archive (``RN50.pt``, ``ViT-B-16.pt``, ...);
    * a plain state dict file (``.pt`` / ``.pth`` / ``.bin``, also nested
      under ``'state_dict'``) in OpenAI (OpenCLIP) or Hugging Face layout;
    * a ``.safetensors`` file in either layout;
    * a Hugging Face ``CLIPModel`` folder written by ``save_pretrained``
      (``config.json`` plus ``model.safetensors`` or ``pytorch_model.bin``,
      sharded or not);
    * a Hugging Face hub id (``openai/clip-vit-base-patch16``), only when
      ``path`` is not a local path; this goes through
      ``transformers.CLIPModel.from_pretrained`` and needs the network or
      the local hub cache.

    Args:
        path (str): The file, folder or hub id.

    Returns:
        OrderedDict[str, Tensor]: Weights on the CPU, in the checkpoint's
        dtype (OpenAI's archives are fp16), OpenAI key names.
    """
    path = str(path)
    if osp.isdir(path):
        state_dict = _read_hf_folder(path)
    elif osp.isfile(path):
        state_dict = _read_weight_file(path)
    elif _looks_like_hub_id(path):
        state_dict = _read_hf_hub(path)
    else:
        raise FileNotFoundError(missing_clip_weights_message(path))
    if any(key.startswith(('text_model.', 'vision_model.')) for key in state_dict):
        state_dict = convert_hf_clip_state_dict(state_dict)
    _check_openai_layout(state_dict, path)
    return OrderedDict(state_dict)


def missing_clip_weights_message(path: str) -> str:
    """What to say when the CLIP weights at ``path`` are missing: where to get them."""
    name = osp.basename(path)
    known = {name: OPENAI_CLIP_SHA256[name]} if name in OPENAI_CLIP_SHA256 else (OPENAI_CLIP_SHA256)
    sources = '; '.join(
        f'{file}: {OPENAI_CLIP_URL.format(sha256=sha256, name=file)} (SHA-256 {sha256})'
        for file, sha256 in known.items()
    )
    return (
        f'CLIP checkpoint not found: {path!r} is neither a file nor a folder. '
        f"Download OpenAI's weights to that path ({sources}; check with sha256sum), "
        'or point the config at a Hugging Face CLIPModel folder '
        f'({" or ".join(HF_CLIP_REPOS)}, saved with save_pretrained). '
        'See docs/get_started.md, "Data and CLIP weights".'
    )


def _read_weight_file(path: str) -> StateDict:
    if is_torchscript_archive(path):
        return read_torchscript_weights(path)
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file

        try:
            return load_file(path, device='cpu')
        except Exception as error:
            raise ValueError(f'could not read {path!r} as a safetensors file: {error}') from error
    try:
        content = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:
        raise ValueError(
            f'could not read {path!r} as a weights-only state dict (files '
            'from elsewhere are never fully unpickled); expected an OpenAI '
            'TorchScript archive, a torch.save-d dict of tensors, a '
            f'.safetensors file or a Hugging Face folder: {error}'
        ) from error
    if isinstance(content, dict) and isinstance(content.get('state_dict'), dict):
        content = content['state_dict']
    if not isinstance(content, dict) or not all(
        isinstance(value, Tensor) for value in content.values()
    ):
        raise ValueError(
            f'{path!r} does not hold a state dict (a dict of tensors), got {type(content).__name__}'
        )
    return {_strip_prefix(key, 'module.'): value for key, value in content.items()}


def _read_hf_folder(folder: str) -> StateDict:
    config_path = osp.join(folder, 'config.json')
    if not osp.isfile(config_path):
        raise FileNotFoundError(
            f'{folder!r} is a folder but has no config.json: expected a '
            'Hugging Face CLIP model saved with save_pretrained'
        )
    with open(config_path) as f:
        config = json.load(f)
    model_type = config.get('model_type', '')
    if not model_type.startswith('clip'):
        raise ValueError(
            f"{config_path} has model_type={model_type!r}; expected a CLIP model ('clip')"
        )
    _warn_on_activation(config, config_path)
    for name in HF_WEIGHT_FILES:
        weight_path = osp.join(folder, name)
        if not osp.isfile(weight_path):
            continue
        if name.endswith('.index.json'):
            with open(weight_path) as f:
                shards = sorted(set(json.load(f)['weight_map'].values()))
            state_dict = {}
            for shard in shards:
                state_dict.update(_read_weight_file(osp.join(folder, shard)))
            return state_dict
        return _read_weight_file(weight_path)
    raise FileNotFoundError(f'{folder!r} has none of the weight files {", ".join(HF_WEIGHT_FILES)}')


def _warn_on_activation(config: dict, source: str) -> None:
    """refseg's towers default to QuickGELU; say so if the model differs."""
    # a CLIPModel nests the towers' configs; a single tower's is flat
    tower_configs = dict(
        text_config=config.get('text_config', {}),
        vision_config=config.get('vision_config', {}),
        config=config,
    )
    for name, tower_config in tower_configs.items():
        act = tower_config.get('hidden_act', 'quick_gelu')
        if act != 'quick_gelu':
            print_log(
                f'{source}: {name}.hidden_act={act!r}; configure the '
                "matching refseg tower with act_cfg=dict(type='GELU')",
                logger='current',
                level=logging.WARNING,
            )


def _looks_like_hub_id(path: str) -> bool:
    """``owner/name``, not a mistyped local path: no weight-file suffix and no
    existing local folder ``owner``."""
    return (
        re.fullmatch(r'[A-Za-z0-9][\w.-]*/[\w.-]+', path) is not None
        and not path.endswith(WEIGHT_FILE_SUFFIXES)
        and not osp.isdir(osp.dirname(path))
    )


def _read_hf_hub(repo_id: str) -> StateDict:
    try:
        from transformers import CLIPModel

        model = CLIPModel.from_pretrained(repo_id)
    except Exception as error:
        raise FileNotFoundError(
            f'CLIP checkpoint {repo_id!r} is not a local file or folder, and '
            f'loading it as a Hugging Face hub id failed: {error}'
        ) from error
    _warn_on_activation(model.config.to_dict(), repo_id)
    return model.state_dict()


def _strip_prefix(key: str, prefix: str) -> str:
    return key[len(prefix) :] if key.startswith(prefix) else key


def _check_openai_layout(state_dict: StateDict, source: str) -> None:
    if any(key.startswith(('visual.', 'token_embedding.')) for key in state_dict):
        return
    sample = ', '.join(list(state_dict)[:5])
    hint = ''
    if any(key.startswith(('backbone.', 'text_encoder.')) for key in state_dict):
        hint = (
            ' It looks like a refseg state dict: load it with '
            "init_cfg=dict(type='Pretrained', checkpoint=..., "
            "prefix='backbone.') or load_from."
        )
    raise ValueError(
        f'{source!r} is not a CLIP checkpoint: no visual.* or '
        f'token_embedding.* keys (first keys: {sample}).{hint}'
    )


# --------------------------------------------------------------------------
# Hugging Face names -> OpenAI names
# --------------------------------------------------------------------------
_HF_RENAMES = {
    'text_model.embeddings.token_embedding.weight': 'token_embedding.weight',
    'text_model.embeddings.position_embedding.weight': 'positional_embedding',
    'text_model.final_layer_norm.weight': 'ln_final.weight',
    'text_model.final_layer_norm.bias': 'ln_final.bias',
    'vision_model.embeddings.class_embedding': 'visual.class_embedding',
    'vision_model.embeddings.patch_embedding.weight': 'visual.conv1.weight',
    'vision_model.embeddings.position_embedding.weight': 'visual.positional_embedding',
    'vision_model.pre_layrnorm.weight': 'visual.ln_pre.weight',
    'vision_model.pre_layrnorm.bias': 'visual.ln_pre.bias',
    'vision_model.post_layernorm.weight': 'visual.ln_post.weight',
    'vision_model.post_layernorm.bias': 'visual.ln_post.bias',
    'logit_scale': 'logit_scale',
}
# Linear weights (out, in) that OpenAI stores as (in, out) matrices.
_HF_TRANSPOSED = {
    'text_projection.weight': 'text_projection',
    'visual_projection.weight': 'visual.proj',
}
_HF_BLOCK_RENAMES = {
    'self_attn.out_proj.': 'attn.out_proj.',
    'layer_norm1.': 'ln_1.',
    'layer_norm2.': 'ln_2.',
    'mlp.fc1.': 'mlp.c_fc.',
    'mlp.fc2.': 'mlp.c_proj.',
}
_HF_BLOCK = re.compile(r'(text_model|vision_model)\.encoder\.layers\.(\d+)\.(.+)')
_HF_QKV = re.compile(r'self_attn\.([qkv])_proj\.(weight|bias)')


def convert_hf_clip_state_dict(hf_state_dict: StateDict) -> 'OrderedDict[str, Tensor]':
    """Rename a Hugging Face ``CLIPModel`` state dict to OpenAI's layout.

    Separate q/k/v projections are concatenated (in that order) into
    ``attn.in_proj_weight`` / ``attn.in_proj_bias``; ``visual_projection`` and
    ``text_projection`` linears become OpenAI's transposed matrices; the
    ``position_ids`` buffers are dropped. Any other key raises an error rather
    than being lost.

    Args:
        hf_state_dict (dict[str, Tensor]): ``CLIPModel.state_dict()``, or that
            of ``CLIPTextModelWithProjection`` or
            ``CLIPVisionModelWithProjection``.

    Returns:
        OrderedDict[str, Tensor]: OpenAI names.
    """
    converted = OrderedDict()
    qkv_parts = {}
    unknown = []
    for key, value in hf_state_dict.items():
        if key.endswith('embeddings.position_ids'):
            continue
        if key in _HF_RENAMES:
            converted[_HF_RENAMES[key]] = value
        elif key in _HF_TRANSPOSED:
            converted[_HF_TRANSPOSED[key]] = value.t().contiguous()
        elif (match := _HF_BLOCK.fullmatch(key)) is not None:
            tower, index, rest = match.groups()
            prefix = (
                'transformer' if tower == 'text_model' else 'visual.transformer'
            ) + f'.resblocks.{index}.'
            qkv = _HF_QKV.fullmatch(rest)
            if qkv is not None:
                projection, kind = qkv.groups()
                qkv_parts.setdefault(f'{prefix}attn.in_proj_{kind}', {})[projection] = value
                continue
            for hf_name, openai_name in _HF_BLOCK_RENAMES.items():
                if rest.startswith(hf_name):
                    converted[prefix + openai_name + rest[len(hf_name) :]] = value
                    break
            else:
                unknown.append(key)
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f'unknown keys in the Hugging Face CLIP state dict: {", ".join(unknown)}')
    for key, parts in qkv_parts.items():
        if set(parts) != {'q', 'k', 'v'}:
            raise ValueError(
                f'{key}: the Hugging Face checkpoint has only '
                f'the {sorted(parts)} projections of q, k, v'
            )
        converted[key] = torch.cat([parts['q'], parts['k'], parts['v']])
    return converted


# --------------------------------------------------------------------------
# Splitting and inspecting OpenAI-layout state dicts
# --------------------------------------------------------------------------
def split_clip_state_dict(state_dict: StateDict) -> Dict[str, 'OrderedDict[str, Tensor]']:
    """Split an OpenAI-layout CLIP state dict into its two towers.

    Returns:
        dict: ``visual`` (keys without the ``visual.`` prefix, as in
        :class:`CLIPResNet` / :class:`CLIPVisionTransformer`) and ``text``
        (keys of :class:`CLIPTextTransformer`). ``logit_scale`` and OpenAI's
        metadata scalars (``input_resolution``, ``context_length``,
        ``vocab_size``) are dropped; any other key is reported and dropped.
    """
    parts = dict(visual=OrderedDict(), text=OrderedDict())
    ignored = []
    for key, value in state_dict.items():
        if key.startswith('visual.'):
            parts['visual'][key[len('visual.') :]] = value
        elif key.startswith(TEXT_KEY_PREFIXES):
            parts['text'][key] = value
        elif key not in ('logit_scale', *OPENAI_METADATA_KEYS):
            ignored.append(key)
    if ignored:
        print_log(
            f'keys that belong to no CLIP tower were dropped: {", ".join(ignored)}',
            logger='current',
            level=logging.WARNING,
        )
    return parts


def _num_blocks(state_dict: StateDict, prefix: str) -> int:
    """Number of distinct ``{prefix}{i}.`` blocks."""
    indices = {key[len(prefix) :].split('.')[0] for key in state_dict if key.startswith(prefix)}
    return len(indices)


def infer_clip_config(state_dict: StateDict) -> Dict[str, Optional[dict]]:
    """Read the architecture of an OpenAI-layout CLIP state dict from its
    tensor shapes, like OpenAI's ``build_model``.

    Head counts are not stored in a checkpoint; they follow OpenAI's rule
    (64 channels per head), which holds for all OpenAI models.

    Returns:
        dict: ``visual`` and ``text``: configs (``type`` plus constructor
        arguments) of the matching refseg towers, or None for a missing tower.
    """
    sd = state_dict
    visual = None
    if 'visual.proj' in sd:
        width, _, patch_size, _ = sd['visual.conv1.weight'].shape
        grid = math.isqrt(sd['visual.positional_embedding'].shape[0] - 1)
        visual = dict(
            type='CLIPVisionTransformer',
            input_resolution=patch_size * grid,
            patch_size=patch_size,
            width=width,
            layers=_num_blocks(sd, 'visual.transformer.resblocks.'),
            heads=max(1, width // 64),
            output_dim=sd['visual.proj'].shape[1],
        )
    elif 'visual.attnpool.c_proj.weight' in sd:
        width = sd['visual.layer1.0.conv1.weight'].shape[0]
        grid = math.isqrt(sd['visual.attnpool.positional_embedding'].shape[0] - 1)
        visual = dict(
            type='CLIPResNet',
            layers=tuple(_num_blocks(sd, f'visual.layer{i}.') for i in range(1, 5)),
            width=width,
            heads=max(1, width * 32 // 64),
            input_resolution=grid * 32,
            output_dim=sd['visual.attnpool.c_proj.weight'].shape[0],
        )
    text = None
    if 'token_embedding.weight' in sd:
        vocab_size, width = sd['token_embedding.weight'].shape
        text = dict(
            type='CLIPTextTransformer',
            context_length=sd['positional_embedding'].shape[0],
            vocab_size=vocab_size,
            width=width,
            layers=_num_blocks(sd, 'transformer.resblocks.'),
            heads=max(1, width // 64),
            embed_dim=sd['text_projection'].shape[1],
        )
    return dict(visual=visual, text=text)


def clip_to_refseg_state_dict(
    state_dict: StateDict, visual_prefix: str = 'backbone.', text_prefix: str = 'text_encoder.'
) -> 'OrderedDict[str, Tensor]':
    """Rename an OpenAI-layout CLIP state dict to a RefSegmentor's keys:
    ``visual.*`` -> ``backbone.*``, text tower -> ``text_encoder.*``; the
    tensors keep their dtype. ``logit_scale`` and metadata are dropped."""
    parts = split_clip_state_dict(state_dict)
    converted = OrderedDict()
    for key, value in parts['visual'].items():
        converted[visual_prefix + key] = value
    for key, value in parts['text'].items():
        converted[text_prefix + key] = value
    return converted


# --------------------------------------------------------------------------
# The weight initialiser
# --------------------------------------------------------------------------
@WEIGHT_INITIALIZERS.register_module()
class CLIPPretrained:
    """Initialise a CLIP tower from a CLIP checkpoint.

    ``init_cfg=dict(type='CLIPPretrained', checkpoint=PATH)`` on a
    :class:`CLIPResNet`, :class:`CLIPVisionTransformer` or
    :class:`CLIPTextTransformer` loads the matching part of ``PATH`` (any
    source :func:`load_clip_state_dict` accepts):

    * weights are cast to the module's dtypes (OpenAI's fp16 -> fp32);
    * a visual positional embedding made for another resolution is resized
      bicubically to the module's grid; a text positional table longer than
      the module's ``context_length`` keeps its first rows;
    * parameters new to refseg (CRIS's ``attnpool.connect``) stay as
      initialised; other missing or unexpected keys are logged as warnings;
    * a checkpoint whose architecture does not match the module raises an
      error naming the keys and the architecture found in the checkpoint.

    Args:
        checkpoint (str): CLIP weights (file, Hugging Face folder or hub id).
    """

    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint

    def __call__(self, module: CLIPTower) -> None:
        part = getattr(module, 'clip_part', '')
        if part not in ('visual', 'text'):
            raise TypeError(
                'CLIPPretrained initialises CLIPResNet, '
                'CLIPVisionTransformer or CLIPTextTransformer, '
                f'not {type(module).__name__}'
            )
        full_state_dict = load_clip_state_dict(self.checkpoint)
        found_config = infer_clip_config(full_state_dict)[part]
        if found_config is None:
            raise ValueError(
                f'{self.checkpoint!r} has no {part} tower to load into {type(module).__name__}'
            )
        self._check_tower_type(module, found_config)
        state_dict = split_clip_state_dict(full_state_dict)[part]
        state_dict = self._fit_to_module(module, state_dict, found_config)
        missing, unexpected = module.load_state_dict(state_dict, strict=False)
        self._log_result(module, part, missing, unexpected)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=f'CLIPPretrained: {part} tower of {self.checkpoint}')

    def _check_tower_type(self, module: CLIPTower, found_config: dict) -> None:
        tower_types = dict(CLIPResNet=CLIPResNet, CLIPVisionTransformer=CLIPVisionTransformer)
        expected = tower_types.get(found_config['type'])
        if expected is not None and not isinstance(module, expected):
            raise ValueError(
                f'{self.checkpoint!r} holds a {found_config["type"]} image '
                f'tower ({found_config}), which cannot initialise a '
                f'{type(module).__name__}'
            )

    def _fit_to_module(
        self, module: CLIPTower, state_dict: StateDict, found_config: dict
    ) -> StateDict:
        """Cast dtypes, fit positional tables and check every shape."""
        own_state = module.state_dict()
        fitted = OrderedDict()
        mismatched = []
        for key, value in state_dict.items():
            if key not in own_state:
                fitted[key] = value  # reported as unexpected
                continue
            target = own_state[key]
            # cast first: resizing fp16 tables in fp32 keeps them exact
            value = value.to(target.dtype)
            if key.endswith('positional_embedding') and value.shape != target.shape:
                value = self._fit_positional_embedding(module, key, value, target)
            if value.shape != target.shape:
                mismatched.append(
                    f'{key}: checkpoint {tuple(value.shape)}, module {tuple(target.shape)}'
                )
                continue
            fitted[key] = value
        if mismatched:
            raise ValueError(
                f'{self.checkpoint!r} does not fit {type(module).__name__}: '
                + '; '.join(mismatched)
                + f'. The checkpoint holds {found_config}; set the tower '
                'config to match.'
            )
        return fitted

    def _fit_positional_embedding(
        self, module: CLIPTower, key: str, value: Tensor, target: Tensor
    ) -> Tensor:
        if value.dim() != 2 or value.shape[1] != target.shape[1]:
            return value  # a width mismatch, reported by the caller
        if module.clip_part == 'text':
            if value.shape[0] < target.shape[0]:
                return value
            print_log(
                f'{key}: keeping the first {target.shape[0]} of '
                f'{value.shape[0]} rows of the checkpoint',
                logger='current',
            )
            return value[: target.shape[0]]
        side = math.isqrt(target.shape[0] - 1)
        print_log(
            f'{key}: resizing the checkpoint grid of {value.shape[0] - 1} '
            f'positions to {side}x{side} (bicubic)',
            logger='current',
        )
        return resize_pos_embed(value, (side, side))

    def _log_result(self, module: CLIPTower, part: str, missing: list, unexpected: list) -> None:
        new_keys = [key for key in missing if key.startswith(module.new_param_prefixes)]
        missing = [
            key
            for key in missing
            if key not in new_keys and not key.endswith('num_batches_tracked')
        ]
        print_log(
            f'CLIPPretrained: loaded the {part} tower of {self.checkpoint} '
            f'into {type(module).__name__}',
            logger='current',
        )
        if new_keys:
            print_log('newly initialised (not in CLIP): ' + ', '.join(new_keys), logger='current')
        if missing:
            print_log(
                'missing in the checkpoint: ' + ', '.join(missing),
                logger='current',
                level=logging.WARNING,
            )
        if unexpected:
            print_log(
                'unexpected in the checkpoint: ' + ', '.join(unexpected),
                logger='current',
                level=logging.WARNING,
            )
