"""One rank of the distributed RefSegMetric test (spawned, not collected).

It lives outside the test module so that spawned processes can import it by
name: pytest's importlib mode gives test modules names a fresh interpreter
cannot import, while multiprocessing's spawn hands the parent's ``sys.path``
(which the test extends with this folder) to its children.
"""

import json
import os.path as osp
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from mmengine.dataset import DefaultSampler
from mmengine.structures import BaseDataElement, PixelData

from refseg.evaluation import RefSegMetric

# (intersection, union) per sample. Sample 0, the one DefaultSampler pads
# onto rank 1, has IoU 1, so counting it twice would raise mIoU and oIoU.
OVERLAPS = ((4, 4), (1, 4), (2, 4), (3, 4), (0, 2))
BATCH_SIZE = 2


def build_samples() -> list:
    """The five evaluation samples as ``SegDataSample.to_dict()`` outputs.

    They are built as mmengine ``BaseDataElement``s, which ``SegDataSample``
    subclasses, so that the spawned ranks need not import mmseg.
    """
    samples = []
    for index, (intersection, union) in enumerate(OVERLAPS):
        gt = torch.zeros(16, dtype=torch.uint8)
        pred = torch.zeros(16, dtype=torch.uint8)
        # The first `intersection` pixels are shared; the rest of the union
        # is ground truth only.
        gt[:union] = 1
        pred[:intersection] = 1
        sample = BaseDataElement(
            metainfo=dict(
                img_path=f'img_{index}.jpg',
                text=f'object {index}',
                ref_id=100 + index,
                sent_id=index,
                image_id=10 + index,
            )
        )
        sample.gt_sem_seg = PixelData(data=gt.view(1, 4, 4))
        sample.pred_sem_seg = PixelData(data=pred.view(1, 4, 4))
        samples.append(sample.to_dict())
    return samples


def evaluate_rank(rank: int, world_size: int, port: int, out_dir: str) -> None:
    """Evaluates this rank's DefaultSampler shard and saves what it saw.

    Writes ``rank{rank}.json`` with the dataset indices this rank processed
    and the metrics ``evaluate`` returned; rank 0 also writes the metric's
    per-expression records to ``records.json``.
    """
    torch_dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=60),
    )
    try:
        samples = build_samples()
        metric = RefSegMetric(
            output_file=osp.join(out_dir, 'records.json'), collect_dir=osp.join(out_dir, 'collect')
        )
        indices = list(DefaultSampler(samples, shuffle=False))
        for start in range(0, len(indices), BATCH_SIZE):
            batch = [samples[i] for i in indices[start : start + BATCH_SIZE]]
            metric.process({}, batch)
        metrics = metric.evaluate(len(samples))
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(indices=indices, metrics=metrics), f)
    finally:
        torch_dist.destroy_process_group()
