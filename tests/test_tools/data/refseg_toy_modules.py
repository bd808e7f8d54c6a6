"""A toy regressor and data set for testing the tools without real models.

Imported by ``toy_train.py`` through ``custom_imports``; registers into the refseg scope.
"""
import random
import time
from typing import List

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from refseg.registry import DATASETS, MODELS


@MODELS.register_module()
class ToyRegressor(BaseModel):
    """Linear regression from 4 inputs to their sum.

    Args:
        step_delay (float): Seconds to sleep in every training step, so that a test can
            stop a run part-way.
        noise (float): Scale of the torch-random noise added to the predictions in every
            training step, so that an exact resume needs torch's random state.
    """

    def __init__(self, step_delay: float = 0.0, noise: float = 0.0) -> None:
        super().__init__()
        self.step_delay = step_delay
        self.noise = noise
        self.linear = nn.Linear(4, 1)
        # Counts training steps; saved with the weights, it shows whether a resumed run
        # repeated or skipped any.
        self.register_buffer('steps_seen', torch.zeros((), dtype=torch.long))

    def forward(self, inputs: List[torch.Tensor], targets: List[torch.Tensor],
                mode: str = 'tensor'):
        predictions = self.linear(torch.stack(inputs))
        if mode != 'loss':
            return predictions
        time.sleep(self.step_delay)
        self.steps_seen += 1
        predictions = predictions + self.noise * torch.randn_like(predictions)
        return dict(loss=((predictions - torch.stack(targets))**2).mean())


@DATASETS.register_module()
class ToySumDataset(Dataset):
    """``size`` random 4-vectors (fixed seed) and their sums.

    ``jitter`` adds numpy- and Python-random offsets to the inputs on every access, so
    that an exact resume needs those random states too.
    """

    metainfo = dict(classes=('object', ))

    def __init__(self, size: int = 16, jitter: float = 0.0) -> None:
        self.jitter = jitter
        generator = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(size, 4, generator=generator)
        self.targets = self.inputs.sum(1, keepdim=True)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        offset = self.jitter * (float(np.random.rand()) + random.random())
        return dict(inputs=self.inputs[index] + offset, targets=self.targets[index])
