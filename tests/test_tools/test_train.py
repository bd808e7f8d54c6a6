"""tools/train.py end to end: a run killed mid-training resumes from its last checkpoint."""

import os
import os.path as osp
import signal
import subprocess
import sys
import time

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_DATA = osp.join(REPO_ROOT, 'tests', 'test_tools', 'data')
TOY_CONFIG = osp.join(TOY_DATA, 'toy_train.py')


def tool_env() -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO_ROOT, TOY_DATA] + [p for p in [env.get('PYTHONPATH')] if p]
    )
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    return env


def train_command(work_dir, *options):
    return [
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        TOY_CONFIG,
        '--work-dir',
        str(work_dir),
        *options,
    ]


def wait_for_first_checkpoint(process, pointer, timeout=300):
    deadline = time.monotonic() + timeout
    while not pointer.exists():
        assert process.poll() is None, 'training ended before its first checkpoint'
        assert time.monotonic() < deadline, 'no checkpoint within the time limit'
        time.sleep(0.05)


def test_resume_after_kill_continues_from_last_complete_checkpoint(tmp_path):
    work_dir = tmp_path / 'run'
    pointer = work_dir / 'last_checkpoint'
    # The uninterrupted run to compare with, meanwhile.
    straight_log = open(tmp_path / 'straight.log', 'w')
    straight_run = subprocess.Popen(
        train_command(tmp_path / 'straight', '--cfg-options', 'train_cfg.max_iters=10'),
        env=tool_env(),
        cwd=tmp_path,
        stdout=straight_log,
        stderr=subprocess.STDOUT,
    )
    # 1 s a step: after the first checkpoint (iteration 2) there are 8 s to kill the run.
    with open(tmp_path / 'killed.log', 'w') as log:
        process = subprocess.Popen(
            train_command(
                work_dir, '--cfg-options', 'model.step_delay=1.0', 'train_cfg.max_iters=10'
            ),
            env=tool_env(),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_first_checkpoint(process, pointer)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL

    last_complete = pointer.read_text()
    resumed_iter = int(osp.basename(last_complete)[len('iter_') : -len('.pth')])
    assert resumed_iter < 10 and osp.isfile(last_complete)
    # What a kill during the next save would leave behind: a truncated partial file.
    partial = work_dir / f'.iter_{resumed_iter + 2}.pth.0123abcd.partial'
    partial.write_bytes(open(last_complete, 'rb').read()[:100])

    result = subprocess.run(
        train_command(work_dir, '--resume', '--amp', '--cfg-options', 'train_cfg.max_iters=10'),
        env=tool_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f'Resuming from the newest complete checkpoint {last_complete}' in output
    assert f'resumed epoch: 0, iter: {resumed_iter}' in output
    assert f'Iter(train) [{resumed_iter + 1:>2}/10]' in output
    assert f'Iter(train) [{resumed_iter:>2}/10]' not in output
    assert '--amp ignored' in output  # CPU: float32 with a warning
    assert not partial.exists()
    assert pointer.read_text() == str(work_dir / 'iter_10.pth')
    final = torch.load(work_dir / 'iter_10.pth', weights_only=True)
    assert final['meta']['iter'] == 10
    # Every step ran exactly once across the two processes.
    assert int(final['state_dict']['steps_seen']) == 10

    # Bit for bit what an uninterrupted run gives (the toy model and data draw from
    # torch's, numpy's and Python's random streams).
    assert straight_run.wait() == 0, (tmp_path / 'straight.log').read_text()[-3000:]
    straight_log.close()
    straight = torch.load(tmp_path / 'straight' / 'iter_10.pth', weights_only=True)
    for key, value in straight['state_dict'].items():
        assert torch.equal(value, final['state_dict'][key]), key
