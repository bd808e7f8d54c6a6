"""Return layers to PyTorch's own default initialisation."""

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd


def reset_to_torch_defaults(module: nn.Module) -> None:
    """Re-run ``reset_parameters()`` of every conv, linear and batch norm in
    ``module``.

    mmcv's ConvModule applies Kaiming-normal (fan-out) to its conv at construction and
    in ``init_weights``; models ported from plain PyTorch code (CRIS) were trained from
    PyTorch's defaults (Kaiming-uniform with a = sqrt(5)), which this restores.
    """
    for layer in module.modules():
        if isinstance(layer, (_ConvNd, nn.Linear, _BatchNorm)):
            layer.reset_parameters()
