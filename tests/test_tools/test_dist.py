"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo) on tiny CRIS."""

import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# configs/synthetic/cris_tiny_synthetic.py on 9 generated images, 1 epoch.
QUICK_CONFIG = osp.join(REPO_ROOT, 'tests', 'test_tools', 'data', 'cris_tiny_quick.py')


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def run_script(cwd, script, *args):
    env = dict(os.environ, PORT=free_port())
    # The scripts run `python`: make it this interpreter.
    env['PATH'] = os.pathsep.join([osp.dirname(sys.executable), env['PATH']])
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    result = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', script), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    (cwd / f'{script}.log').write_text(output)
    # torchrun's summary hides the cause: show from the first traceback on.
    assert result.returncode == 0, output[output.find('Traceback') :][:6000]
    return output


def test_dist_train_then_dist_test_on_two_cpu_processes(tmp_path):
    output = run_script(tmp_path, 'dist_train.sh', QUICK_CONFIG, '2', '--work-dir', 'run')
    assert 'GPU number: 2' in output and 'Distributed training: True' in output
    assert re.search(r'Epoch\(val\) \[1\]\[\d+/\d+\] +mIoU: ', output)
    checkpoint = torch.load(tmp_path / 'run' / 'epoch_1.pth', weights_only=True)
    assert checkpoint['meta']['epoch'] == 1
    assert (tmp_path / 'run' / 'last_checkpoint').read_text() == str(
        tmp_path / 'run' / 'epoch_1.pth'
    )

    val_metrics = re.search(r'Epoch\(val\) \[1\]\[\d+/\d+\] +(mIoU: .*?) +data_time', output)[1]

    # Evaluated on the validation split, the saved checkpoint gives the logged metrics:
    # both ranks validated with rank 0's BatchNorm statistics, which are the ones saved.
    output = run_script(
        tmp_path,
        'dist_test.sh',
        QUICK_CONFIG,
        'run/epoch_1.pth',
        '2',
        '--work-dir',
        'test',
        '--out',
        'results/sentences.json',
        '--show-dir',
        'vis',
        '--cfg-options',
        'default_hooks.visualization.interval=1',
        'test_dataloader.dataset.split=val',
    )
    assert re.search(r'Epoch\(test\) \[\d+/\d+\] +(mIoU: .*?) +data_time', output)[1] == val_metrics
    assert 'Loads checkpoint by weights_only backend' in output
    num_samples = int(re.search(r'Epoch\(test\).*num_samples: (\d+)', output)[1])
    # Results of both processes are gathered into one file, each sentence once.
    sentences = json.loads((tmp_path / 'results' / 'sentences.json').read_text())
    assert len(sentences) == num_samples > 2
    assert len({item['sent_id'] for item in sentences}) == num_samples
    # Rank 0 draws its share (mmseg's visualizers draw on the main process only).
    drawings = [
        name
        for _, _, names in os.walk(tmp_path / 'test')
        for name in names
        if name.endswith('.png')
    ]
    expected = {
        f'test_synthetic_{item["image_id"]:06d}_ref{item["ref_id"]}_sent{item["sent_id"]}.png'
        for item in sentences
    }
    assert drawings and set(drawings) <= expected
