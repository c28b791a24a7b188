"""Shared helpers for the picoring tests."""

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
