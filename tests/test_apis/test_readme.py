"""The README's Python snippets run as written (on a random-weight main-job checkpoint)."""

import os
import os.path as osp
import re

import torch
from mmengine.config import Config

from refseg.apis import init_model

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MAIN_JOB = 'configs/synthetic/cris_rn-tiny-clip_synthetic.py'


def readme_python_blocks():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return re.findall(r'```python\n(.*?)```', f.read(), flags=re.S)


def test_readme_python_snippets_run(tmp_path, monkeypatch, capsys):
    blocks = readme_python_blocks()
    assert blocks, 'the README has no Python snippet'
    for name in ('configs', 'demo'):
        os.symlink(osp.join(ROOT, name), tmp_path / name)
    # Stands in for the main job's checkpoint: same layout, random weights.
    torch.manual_seed(0)
    model = init_model(osp.join(ROOT, MAIN_JOB))
    ckpt = tmp_path / 'work_dirs' / 'cris_rn-tiny-clip_synthetic' / 'epoch_4.pth'
    ckpt.parent.mkdir(parents=True)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(cfg=Config.fromfile(osp.join(ROOT, MAIN_JOB)).pretty_text),
        ),
        str(ckpt),
    )
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for index, block in enumerate(blocks):
            exec(compile(block, f'README.md python block {index}', 'exec'), {})
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert 'the left big yellow square' in printed
    assert (tmp_path / 'out' / 'summary.json').is_file()
