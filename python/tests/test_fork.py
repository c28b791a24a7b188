"""A ring used in a forked child raises instead of touching memory the child does not have."""

import os
import sys

import pytest

import picoring

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def run_in_child(body):
    """Runs `body()` in a forked child; returns the child's exit status (0 = body passed)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if body() else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize(
    "make", [lambda: picoring.PicoRingByte(4096), lambda: picoring.PicoQueueByte(4096),
             lambda: picoring.PicoByteStreamPy(4096), lambda: picoring.PicoListByte(b"x")]
)
def test_use_in_forked_child_raises_runtime_error(make):
    obj = make()

    def child():
        for call in (lambda: len(obj), lambda: memoryview(obj), lambda: obj.close()):
            try:
                call()
                return False
            except RuntimeError as err:
                if "fork" not in str(err):
                    return False
        del_ok = True
        return del_ok

    sys.stdout.flush()
    assert run_in_child(child) == 0
    assert len(obj) >= 0  # the parent's object is untouched
