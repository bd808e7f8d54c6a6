# A tiny iteration-based run on the toy modules: 2 samples a batch, checkpoints every 2
# iterations. Tests override max_iters, step_delay and work_dir from the command line.
_base_ = ['../../../configs/_base_/default_runtime.py']
custom_imports = dict(imports=['refseg_toy_modules'], allow_failed_imports=False)

model = dict(type='ToyRegressor', step_delay=0.0, noise=0.1)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ToySumDataset', size=16, jitter=0.1))

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = [dict(type='LinearLR', start_factor=0.5, by_epoch=False, end=4)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8)
randomness = dict(seed=0)

log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=1, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=2, save_best=None))
