# Runtime of the mmdet detector baselines (the default_runtime.py of mmdet 3.3): scope,
# hooks, environment, logging, visualisation. The checkpoint kept is the best mIoU_part,
# the metric the referring models are selected by; atomic files as refseg's own
# (docs/training.md).
default_scope = 'mmdet'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='refseg.AtomicCheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='mIoU_part',
        rule='greater',
    ),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
resume = False
