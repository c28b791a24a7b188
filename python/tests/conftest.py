"""Shared helpers for the picoring tests."""

import contextlib

import pytest

import picoring

EXPORTS_MESSAGE = "Existing exports of data: object cannot be re-sized"

# Each byte ring class with its "append everything" and "take up to n" method names.
RING_CLASSES = [
    (picoring.PicoRingByte, "push_bytes", "pop_bytes"),
    (picoring.PicoQueueByte, "push_bulk", "pop_bulk"),
    (picoring.PicoByteStreamPy, "write", "read"),
]


def wrap_near_end(ring, before_end=3):
    """Moves the read position `before_end` bytes before the physical end, so the next push wraps."""
    cap = ring.capacity()
    filler = cap - before_end
    view = ring.get_writable_view(filler)
    view[:] = b"\0" * filler
    del view
    ring.commit(filler)
    ring.consume(filler)
    assert len(ring) == 0


@pytest.fixture(params=RING_CLASSES, ids=lambda c: c[0].__name__)
def ring_class(request):
    return request.param


@contextlib.contextmanager
def ctrl_c_pressed():
    """Presses Ctrl-C (SIGINT to the main thread) again and again until the block ends, which
    must raise `KeyboardInterrupt`. Again and again: an interrupt that lands while the main
    thread runs a finalizer (before it reaches the wait) is reported there as "ignored" and
    lost."""
    import _thread
    import signal
    import threading

    done = threading.Event()

    def on_ctrl_c(signum, frame):
        if not done.is_set():
            raise KeyboardInterrupt

    def press_ctrl_c():
        while not done.wait(0.05):
            _thread.interrupt_main()

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            yield
    finally:
        done.set()  # from here on, a late interrupt is ignored by `on_ctrl_c`
        presser.join()
        signal.signal(signal.SIGINT, previous)
