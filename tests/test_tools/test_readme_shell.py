"""The README's shell snippets name tools, options and configs that exist.

Each command of each ``bash``/``shell`` block is checked without running the heavy work:
a refseg tool must exist and accept every option the snippet gives it (its ``--help``
lists them), shell scripts must parse (``bash -n``), config paths must exist, and
``python -c`` one-liners run. Commands that train, install or run the suite are not
executed here (minutes of CPU, or network); the reason is in each skip.
"""

import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
README = osp.join(ROOT, 'README.md')
ENV_ASSIGNMENT = re.compile(r'^[A-Z_][A-Z0-9_]*=')


def readme_commands():
    """(block index, command) for every command of the README's shell blocks."""
    with open(README, encoding='utf-8') as f:
        text = f.read()
    commands = []
    for index, block in enumerate(re.findall(r'```(?:bash|shell|sh)\n(.*?)```', text, re.S)):
        block = block.replace('\\\n', ' ')
        for line in block.splitlines():
            line = line.split(' #')[0].strip()
            if not line or line.startswith('#'):
                continue
            for command in line.split('&&'):
                commands.append((index, command.strip()))
    return commands


def _words(command):
    words = shlex.split(command)
    while words and ENV_ASSIGNMENT.match(words[0]):
        words.pop(0)
    return words


def _run(args, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _check_configs(words):
    for word in words:
        if word.startswith('configs/') and word.endswith('.py'):
            assert osp.isfile(osp.join(ROOT, word)), f'no config {word}'


def test_readme_has_shell_snippets():
    assert len(readme_commands()) >= 3


def _heavy_reason(words):
    """Why a command is not run here, or None for a cheap one."""
    if words[:3] == ['python', '-m', 'pytest']:
        return 'runs the test suite itself'
    if words[0] == 'python' and words[1].startswith('tools/'):
        return (
            'trains, tests or infers with real data and checkpoints (minutes to hours); '
            'its tool and options are checked by test_readme_command_is_valid'
        )
    if words[0] == 'bash' and words[1].startswith('tools/'):
        return (
            f'{words[1]} installs packages or starts distributed training; it is '
            'checked to parse by test_readme_command_is_valid'
        )
    if words[:2] == ['python', '-c']:
        return None
    return 'not a refseg command'


@pytest.mark.parametrize('block,command', readme_commands())
def test_readme_command_is_valid(block, command):
    """Tools, their options, scripts and config paths exist."""
    words = _words(command)
    _check_configs(words)
    if words[0] == 'python' and words[1].startswith('tools/'):
        tool = osp.join(ROOT, words[1])
        assert osp.isfile(tool), f'{words[1]} does not exist'
        result = _run([sys.executable, tool, '--help'])
        assert result.returncode == 0, result.stderr[-2000:]
        options = {word.split('=')[0] for word in words[2:] if word.startswith('--')}
        missing = [option for option in options if option not in result.stdout]
        assert not missing, f'{words[1]} has no option {missing}'
    elif words[0] == 'bash' and words[1].startswith('tools/'):
        script = osp.join(ROOT, words[1])
        assert osp.isfile(script), f'{words[1]} does not exist'
        result = _run(['bash', '-n', script])
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize('block,command', readme_commands())
def test_readme_command_runs(block, command):
    """Cheap commands run; the others are skipped with the reason."""
    words = _words(command)
    reason = _heavy_reason(words)
    if reason is not None:
        pytest.skip(reason)
    result = _run(words)
    assert result.returncode == 0, result.stderr[-2000:]
