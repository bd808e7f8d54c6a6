"""RefSegMetric under a real 2-process (gloo, CPU) distributed evaluation."""

import importlib
import json
import socket
from pathlib import Path

import pytest
import torch.multiprocessing as mp

from refseg.evaluation import RefSegMetric

WORLD_SIZE = 2
# Hand computed from the worker's OVERLAPS: IoUs 1, 0.25, 0.5, 0.75, 0 with
# intersections summing to 10 and unions to 18, each sample counted once.
EXPECTED = {
    'mIoU': 50.0,
    'oIoU': 100 * 10 / 18,
    'Prec@50': 40.0,
    'Prec@60': 40.0,
    'Prec@70': 40.0,
    'Prec@80': 20.0,
    'Prec@90': 20.0,
    'num_samples': 5,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker(monkeypatch):
    """The worker module, importable by name here and in spawned ranks."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return importlib.import_module('ref_seg_metric_dist_worker')


def _assert_metrics_equal(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1e-9), key


def test_single_process_matches_hand_computed(worker):
    metric = RefSegMetric()
    samples = worker.build_samples()
    metric.process({}, samples)
    _assert_metrics_equal(metric.evaluate(len(samples)), EXPECTED)


def test_two_ranks_count_each_sample_once(worker, tmp_path):
    mp.spawn(
        worker.evaluate_rank,
        args=(WORLD_SIZE, _free_port(), str(tmp_path)),
        nprocs=WORLD_SIZE,
        join=True,
    )
    ranks = [json.loads((tmp_path / f'rank{rank}.json').read_text()) for rank in range(WORLD_SIZE)]
    # The set-up really pads: rank 1 sees sample 0 a second time.
    assert ranks[0]['indices'] == [0, 2, 4]
    assert ranks[1]['indices'] == [1, 3, 0]
    # Rank 0 computes, then broadcasts the same values to every rank.
    for rank in ranks:
        _assert_metrics_equal(rank['metrics'], EXPECTED)
    records = json.loads((tmp_path / 'records.json').read_text())
    assert [r['sent_id'] for r in records] == [0, 1, 2, 3, 4]
