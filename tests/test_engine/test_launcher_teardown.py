"""refseg.engine.launcher.finish_distributed: the tools tear the process group down."""

import socket

import torch.distributed as dist

from refseg.engine.launcher import finish_distributed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_finish_distributed_destroys_the_group_and_is_a_no_op_without_one():
    finish_distributed()  # no group: nothing to do, no error
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{_free_port()}', rank=0, world_size=1
    )
    assert dist.is_initialized()
    finish_distributed()
    assert not dist.is_initialized()
