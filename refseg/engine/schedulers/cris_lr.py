"""The official CRIS code's first-epoch learning-rate quirk, as an opt-in scheduler."""

from mmengine.optim.scheduler.param_scheduler import _ParamScheduler

from refseg.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class CRISLegacyWarmupLR(_ParamScheduler):
    """Run every parameter group at the optimizer's base lr during the first epoch.

    The official CRIS training script gives its parameter groups ``initial_lr``
    (backbone 1e-5, head 1e-4) but no ``lr``, so in epoch 1 both groups train at the
    optimizer's 1e-4; the intended per-group rates apply from epoch 2 on. refseg sets
    the group rates from the start (``paramwise_cfg``); add this scheduler in front of
    the schedule to reproduce the official run::

        param_scheduler = [
            dict(type='CRISLegacyWarmupLR'),
            dict(type='MultiStepLR', by_epoch=True, milestones=[35], gamma=0.1),
        ]

    It acts on epochs 0 and 1 only (``begin=0, end=2``): at epoch 0 it sets each
    group's lr to ``optimizer.defaults['lr']``; at epoch 1 it scales each group back
    by ``initial_lr / defaults['lr']``, so any decay another scheduler applied in
    between is kept.

    Args:
        optimizer (OptimWrapper or Optimizer): The (wrapped) optimizer.
        by_epoch (bool): Must be True; the quirk is per epoch. Defaults to True.
        verbose (bool): Print each update. Defaults to False.
    """

    def __init__(self, optimizer, by_epoch: bool = True, verbose: bool = False) -> None:
        if not by_epoch:
            raise ValueError(
                'CRISLegacyWarmupLR reproduces a first-epoch quirk and needs by_epoch=True'
            )
        self.legacy_lr = optimizer.defaults['lr']
        super().__init__(optimizer, 'lr', begin=0, end=2, by_epoch=True, verbose=verbose)

    def _get_value(self) -> list:
        groups = self.optimizer.param_groups
        if self.last_step == 0:
            return [self.legacy_lr for _ in groups]
        return [
            group['lr'] * base / self.legacy_lr for group, base in zip(groups, self.base_values)
        ]
