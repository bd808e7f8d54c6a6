"""Kill a training run at random moments, resume it each time, and check what survived.

    python tools/analysis_tools/kill_resume_check.py [CONFIG] [--kills 5] [--max-iters 12]
        [--seed 0] [--work-dir DIR] [--cfg-options KEY=VALUE ...] [--json OUT]

Runs ``tools/train.py CONFIG`` once without interruption (the reference), then again while
SIGKILLing it ``--kills`` times at random moments (seeded) and resuming it with
``--resume`` after each kill, until it finishes. After every kill it counts the checkpoint
files that ``torch.load(weights_only=True)`` cannot read (corrupt), the iterations whose
work was lost (last logged iteration minus the one resumed from), and whether the newest
complete checkpoint was newer than ``last_checkpoint`` named. At the end the final weights
are compared bit for bit with the reference. Iteration-based configs only (the iteration
count is read from the log).

The default CONFIG is the toy regressor of the tool tests
(tests/test_tools/data/toy_train.py: 0.25 s of work an iteration with the default
``--cfg-options model.step_delay=0.25``, noise from torch, numpy and Python random streams).
"""

import argparse
import json
import os
import os.path as osp
import random
import re
import signal
import subprocess
import sys
import time
from typing import List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_DATA = osp.join(REPO_ROOT, 'tests', 'test_tools', 'data')
TOY_CONFIG = osp.join(TOY_DATA, 'toy_train.py')
sys.path.insert(0, REPO_ROOT)

LOGGED_ITER = re.compile(r'Iter\(train\) \[ *(\d+)/')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=TOY_CONFIG, help='training config')
    parser.add_argument('--kills', type=int, default=5, help='SIGKILLs before finishing')
    parser.add_argument('--max-iters', type=int, default=24, help='train_cfg.max_iters')
    parser.add_argument('--seed', type=int, default=0, help='seed of the kill moments')
    parser.add_argument(
        '--min-wait',
        type=float,
        default=0.3,
        help='earliest kill, seconds after the first logged iteration',
    )
    parser.add_argument('--max-wait', type=float, default=3.0, help='latest kill, likewise')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/kill_resume_check',
        help='folder for the two runs (emptied first)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=['model.step_delay=0.25'],
        help='passed to every tools/train.py run',
    )
    parser.add_argument('--json', help='also write the figures to this JSON file')
    return parser.parse_args(argv)


def train_command(args, work_dir: str, resume: bool) -> List[str]:
    command = [
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        args.config,
        '--work-dir',
        work_dir,
        '--cfg-options',
        f'train_cfg.max_iters={args.max_iters}',
        *args.cfg_options,
    ]
    return command + (['--resume'] if resume else [])


def environment() -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO_ROOT, TOY_DATA] + [p for p in [env.get('PYTHONPATH')] if p]
    )
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    env['PYTHONUNBUFFERED'] = '1'  # the log must show every iteration before the kill
    return env


def logged_iterations(log_path: str) -> List[int]:
    with open(log_path, errors='replace') as file:
        return [int(match) for match in LOGGED_ITER.findall(file.read())]


def corrupt_checkpoints(work_dir: str) -> List[str]:
    from refseg.utils.checkpoint import load_from_local_weights_only

    bad = []
    for name in sorted(os.listdir(work_dir)):
        if name.endswith('.pth'):
            try:
                load_from_local_weights_only(osp.join(work_dir, name))
            except Exception:  # any unreadable file counts
                bad.append(name)
    return bad


def step_of(path: Optional[str]) -> int:
    match = re.search(r'_(\d+)\.pth$', path or '')
    return int(match[1]) if match else 0


def pointer_step(work_dir: str) -> int:
    pointer = osp.join(work_dir, 'last_checkpoint')
    return step_of(open(pointer).read().strip()) if osp.isfile(pointer) else 0


def run_killed_once(args, work_dir: str, resume: bool, wait: float, log_path: str) -> bool:
    """Start a run, kill it ``wait`` s after its first logged iteration; True if it ended
    by itself first."""
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            train_command(args, work_dir, resume),
            env=environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = None
        while process.poll() is None:
            if deadline is None and logged_iterations(log_path):
                deadline = time.monotonic() + wait
            if deadline is not None and time.monotonic() >= deadline:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return False
            time.sleep(0.05)
    if process.returncode != 0:
        raise RuntimeError(f'training failed (exit {process.returncode}); see {log_path}')
    return True


def final_weights(work_dir: str, max_iters: int) -> dict:
    from refseg.utils.checkpoint import load_from_local_weights_only

    path = osp.join(work_dir, f'iter_{max_iters}.pth')
    return load_from_local_weights_only(path, map_location='cpu')['state_dict']


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)

    import torch

    from refseg.utils.checkpoint import find_resume_checkpoint

    rng = random.Random(args.seed)
    if osp.isdir(args.work_dir):
        subprocess.run(['rm', '-rf', args.work_dir], check=True)
    straight, killed = (osp.join(args.work_dir, name) for name in ('straight', 'killed'))
    os.makedirs(args.work_dir)
    started = time.monotonic()
    with open(osp.join(args.work_dir, 'straight.log'), 'w') as log:
        subprocess.run(
            train_command(args, straight, False),
            env=environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )

    events = []
    for index in range(args.kills):
        log_path = osp.join(args.work_dir, f'killed_{index}.log')
        finished = run_killed_once(
            args, killed, index > 0, rng.uniform(args.min_wait, args.max_wait), log_path
        )
        if finished:
            break
        logged = logged_iterations(log_path)
        resume_from = find_resume_checkpoint(killed)
        events.append(
            dict(
                last_logged_iter=max(logged) if logged else 0,
                resume_iter=step_of(resume_from),
                iterations_lost=(max(logged) if logged else 0) - step_of(resume_from),
                pointer_behind=step_of(resume_from) > pointer_step(killed),
                corrupt=corrupt_checkpoints(killed),
            )
        )
        print(f'kill {index + 1}: {events[-1]}', flush=True)
    final_log = osp.join(args.work_dir, 'killed_final.log')
    with open(final_log, 'w') as log:
        subprocess.run(
            train_command(args, killed, bool(events)),
            env=environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )

    reference, resumed = (
        final_weights(straight, args.max_iters),
        final_weights(killed, args.max_iters),
    )
    equal = set(reference) == set(resumed) and all(
        torch.equal(reference[key], resumed[key]) for key in reference
    )
    lost = [event['iterations_lost'] for event in events]
    summary = dict(
        config=args.config,
        max_iters=args.max_iters,
        kills=len(events),
        resumes=len(events),
        corrupt_files=sum(len(e['corrupt']) for e in events),
        iterations_lost_mean=sum(lost) / len(lost) if lost else 0.0,
        iterations_lost_max=max(lost, default=0),
        pointer_behind=sum(e['pointer_behind'] for e in events),
        bitwise_equal=equal,
        seconds=round(time.monotonic() - started, 1),
        events=events,
    )
    print(json.dumps({k: v for k, v in summary.items() if k != 'events'}, indent=1))
    if args.json:
        with open(args.json, 'w') as file:
            json.dump(summary, file, indent=1)
    return summary


if __name__ == '__main__':
    sys.exit(0 if main()['bitwise_equal'] else 1)
