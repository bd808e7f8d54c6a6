"""An optimizer-wrapper constructor whose bias/norm weight-decay rules reach every bias."""

from typing import List, Optional, Union

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from refseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

NORM_TYPES = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BiasNormDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with ``bias_decay_mult`` and ``norm_decay_mult``
    applied to every bias and normalisation parameter.

    mmengine applies the two only to parameters named exactly ``bias`` and only to those
    no ``custom_keys`` entry matches. So ``nn.MultiheadAttention.in_proj_bias`` (RISCLIP's
    CFE-X and SKE attention) keeps its weight decay, and a key that only scales the
    learning rate (RISCLIP stage 2's ``'cfe.': dict(lr_mult=0.1)``) switches the rules
    off for everything it matches. Here a parameter whose name ends in ``bias`` or that
    belongs to a ``BatchNorm``/``InstanceNorm``/``GroupNorm``/``LayerNorm`` gets the
    multiplier, unless the custom key matching it sets ``decay_mult`` itself. Learning
    rates are exactly mmengine's.

    Example::

        optim_wrapper = dict(
            constructor='BiasNormDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=5e-5, weight_decay=5e-3),
            paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
    """

    def add_params(
        self,
        params: List[dict],
        module: nn.Module,
        prefix: str = '',
        is_dcn_module: Optional[Union[int, float]] = None,
    ) -> None:
        """Add ``module``'s parameters to ``params`` as mmengine does, then, once at the
        root module, apply the bias and norm decay rules to the groups mmengine left out.
        """
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix or self.base_wd is None:
            return  # a recursive call on a child module: the root call fixes everything
        bias_mult = self.paramwise_cfg.get('bias_decay_mult')
        norm_mult = self.paramwise_cfg.get('norm_decay_mult')
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        keys = sorted(sorted(custom_keys), key=len, reverse=True)
        owners = {}
        for module_name, child in module.named_modules():
            for name, param in child.named_parameters(recurse=False):
                owners[id(param)] = (f'{module_name}.{name}', name, child)
        for group in params:
            full_name, name, owner = owners[id(group['params'][0])]
            # The string mmengine matches custom keys against ('.<name>' at the root).
            key = next((k for k in keys if k in full_name), None)
            if key is not None and 'decay_mult' in custom_keys[key]:
                continue
            if isinstance(owner, NORM_TYPES) and norm_mult is not None:
                group['weight_decay'] = self.base_wd * norm_mult
            elif name.endswith('bias') and bias_mult is not None:
                group['weight_decay'] = self.base_wd * bias_mult
