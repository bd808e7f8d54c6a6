"""The ``refseg`` registry scope.

Every registry is a direct child of MMEngine's root registry (not of mmseg's), so that

* configs with ``default_scope = 'refseg'`` find refseg modules without ``custom_imports``
  (the ``locations`` below are imported lazily on first lookup),
* mmseg modules are reachable as ``mmseg.X`` and mmengine ones by plain name, and
* any other OpenMMLab project can build ``type='refseg.X'`` after ``import refseg``.
"""

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

_SCOPE = 'refseg'


def _child(name: str, parent: Registry, locations: list) -> Registry:
    return Registry(name, parent=parent, scope=_SCOPE, locations=locations)


RUNNERS = _child('runner', MMENGINE_RUNNERS, ['refseg.engine'])
RUNNER_CONSTRUCTORS = _child('runner constructor', MMENGINE_RUNNER_CONSTRUCTORS, ['refseg.engine'])
LOOPS = _child('loop', MMENGINE_LOOPS, ['refseg.engine'])
HOOKS = _child('hook', MMENGINE_HOOKS, ['refseg.engine'])
LOG_PROCESSORS = _child('log processor', MMENGINE_LOG_PROCESSORS, ['refseg.engine'])
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, ['refseg.engine'])
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, ['refseg.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor', MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, ['refseg.engine']
)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, ['refseg.engine'])
DATASETS = _child('dataset', MMENGINE_DATASETS, ['refseg.datasets'])
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, ['refseg.datasets'])
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, ['refseg.datasets'])
# The ONNX Runtime segmentor lives with the inference API (it needs no training code).
MODELS = _child('model', MMENGINE_MODELS, ['refseg.models', 'refseg.apis.onnx_model'])
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, ['refseg.models'])
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS, ['refseg.models'])
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, ['refseg.models'])
METRICS = _child('metric', MMENGINE_METRICS, ['refseg.evaluation'])
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, ['refseg.evaluation'])
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, ['refseg.visualization'])
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, ['refseg.visualization'])
INFERENCERS = _child('inferencer', MMENGINE_INFERENCERS, ['refseg.apis'])
