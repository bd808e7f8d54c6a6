# Runtime shared by every refseg config: scope, environment, logging, visualisation and
# the default hooks. Schedules add optimizer, param_scheduler and the train/val/test loops.
default_scope = 'refseg'

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py start a gloo group instead when CUDA is absent.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [
    dict(type='LocalVisBackend'),
    # dict(type='TensorboardVisBackend'),  # needs `pip install tensorboard`
    # dict(type='WandbVisBackend', init_kwargs=dict(project='refseg')),  # needs wandb
]
visualizer = dict(type='RefSegLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(by_epoch=True)
log_level = 'INFO'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Atomic files that load with torch.load(weights_only=True): see docs/training.md.
    checkpoint=dict(
        type='AtomicCheckpointHook',
        by_epoch=True,
        interval=1,
        max_keep_ckpts=3,
        save_best='mIoU',
        rule='greater',
    ),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='RefSegVisualizationHook', draw=False),
)

load_from = None
resume = False
