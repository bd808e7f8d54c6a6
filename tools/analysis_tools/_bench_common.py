"""Shared helpers of the benchmark tools: build a model with random weights and make a
batch of synthetic referring inputs of a given size."""
import copy
import logging
from typing import List, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope


def strip_pretrained(cfg) -> None:
    """Remove every pretrained-weight reference from a (nested) model config in place,
    so benchmarks run with random weights and need no CLIP file."""
    if isinstance(cfg, dict):
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') in (
                'Pretrained', 'CLIPPretrained', 'Pretrained_Part'):
            cfg['init_cfg'] = None
        if 'pretrained' in cfg:
            cfg['pretrained'] = None
        for value in cfg.values():
            strip_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            strip_pretrained(value)


def build_model(config: str, device: str, cfg_options=None):
    from refseg.registry import MODELS

    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'refseg'))
    model_cfg = copy.deepcopy(cfg.model)
    strip_pretrained(model_cfg)
    model = MODELS.build(model_cfg)
    # init_weights logs one line per parameter outside a runner; keep the report readable.
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    model.init_weights()
    logger.setLevel(level)
    from mmengine.model import revert_sync_batchnorm
    model = revert_sync_batchnorm(model)
    return model.to(device).eval(), cfg


def make_batch(model, batch_size: int, input_size: int, device: str,
               text: str = 'the man in the red shirt on the left'
               ) -> Tuple[torch.Tensor, List]:
    """Normalised random images and data samples whose original size is the input size
    (so post-processing is the identity warp)."""
    from mmseg.structures import SegDataSample

    from refseg.structures import letterbox_matrix

    inputs = torch.randn(batch_size, 3, input_size, input_size, device=device)
    matrix, inverse = letterbox_matrix(input_size, input_size, input_size)
    samples = []
    for i in range(batch_size):
        sample = SegDataSample()
        sample.set_metainfo(dict(
            text=text, ori_shape=(input_size, input_size),
            img_shape=(input_size, input_size), pad_shape=(input_size, input_size),
            letterbox_matrix=matrix, letterbox_inverse=inverse, ref_id=i, sent_id=i))
        samples.append(sample)
    return inputs, samples
