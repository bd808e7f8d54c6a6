from .inference import (
    CheckpointMismatchError,
    RefSegPrediction,
    inference_refseg,
    init_model,
    load_image,
)
from .refseg_inferencer import RefSegInferencer

__all__ = [
    'CheckpointMismatchError',
    'RefSegInferencer',
    'RefSegPrediction',
    'inference_refseg',
    'init_model',
    'load_image',
]
