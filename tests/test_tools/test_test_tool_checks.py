"""tools/test.py refuses early: an unwritable --out, a checkpoint that does not fit."""

import pytest
import torch
import torch.nn as nn

from refseg.apis.inference import CheckpointMismatchError
from script_loader import load_script


def test_out_is_checked_before_evaluating(tmp_path):
    tool = load_script('tools/test.py')
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    with pytest.raises(PermissionError, match=f'--out {blocker}/results.json cannot be'):
        tool.check_writable(str(blocker / 'results.json'))
    tool.check_writable(str(tmp_path / 'new' / 'results.json'))
    assert (tmp_path / 'new').is_dir() and not list((tmp_path / 'new').iterdir())


def test_checkpoint_must_fit_the_model(tmp_path):
    tool = load_script('tools/test.py')
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    fitting = tmp_path / 'fitting.pth'
    torch.save(dict(state_dict={f'module.{k}': v for k, v in model.state_dict().items()}), fitting)
    tool.check_checkpoint_fits(model, str(fitting))

    other = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 1, 1))
    wrong = tmp_path / 'other_model.pth'
    torch.save(dict(state_dict=other.state_dict()), wrong)
    with pytest.raises(CheckpointMismatchError, match='other_model.pth does not match') as info:
        tool.check_checkpoint_fits(model, str(wrong))
    assert info.value.unexpected == ['3.bias', '3.weight']
    assert '0.weight: checkpoint (8, 3, 3, 3) vs model (4, 3, 3, 3)' in info.value.mismatched
