from .inference import (CheckpointMismatchError, RefSegPrediction, inference_refseg,
                        init_model, load_image)

__all__ = [
    'CheckpointMismatchError', 'RefSegPrediction', 'inference_refseg', 'init_model',
    'load_image'
]
