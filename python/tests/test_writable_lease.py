"""A writable view of free space is an exclusive lease: while it lives, nothing turns that space
into queued bytes (commit, any push or write) and no second writable view is handed out, so no
sequence of calls lets queued bytes be written through a view."""

import socket

import pytest

from conftest import EXPORTS_MESSAGE


def test_commit_is_refused_while_the_writable_view_lives(ring_class):
    cls, push, _ = ring_class
    ring = cls(4096)
    free = ring.get_writable_view()
    free[:3] = b"abc"
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.commit(3)
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        getattr(ring, push)(b"x")
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.push(1)
    assert len(ring) == 0
    free.release()
    ring.commit(3)
    assert bytes(ring) == b"abc"


def test_a_stale_writable_view_cannot_overwrite_committed_bytes(ring_class):
    """The pattern `free = get_writable_view(); recv_into(free); commit(n); recv_into(free)`."""
    cls, _, _ = ring_class
    ring = cls(4096)
    sender, receiver = socket.socketpair()
    with sender, receiver:
        sender.sendall(b"first")
        free = ring.get_writable_view()
        n = receiver.recv_into(free)
        with pytest.raises(BufferError):
            ring.commit(n)  # the lease is still out: release it first
        pinned = memoryview(ring)  # a reader of the (still empty) queue
        sender.sendall(b"XXXXX")
        receiver.recv_into(free)  # writes free space only: nothing was published yet
        free.release()
        pinned.release()
        ring.commit(n)
        assert bytes(ring) == b"XXXXX"[:n]
        with ring.get_writable_view() as again:  # a fresh lease over the space after the queue
            again[:2] = b"!!"
        reader = memoryview(ring)
        assert bytes(reader) == b"XXXXX"  # queued bytes untouched by the second lease
        reader.release()


def test_only_one_writable_view_at_a_time(ring_class):
    cls, _, _ = ring_class
    ring = cls(4096)
    first = ring.get_writable_view(8)
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.get_writable_view(8)
    first.release()
    with ring.get_writable_view(8) as second:
        second[:2] = b"ok"
    ring.commit(2)
    assert bytes(ring) == b"ok"


def test_the_lease_lives_as_long_as_its_exporter(ring_class):
    """`free.obj` (the exporter) re-exports the same free space, so it holds the lease too."""
    cls, _, _ = ring_class
    ring = cls(4096)
    free = ring.get_writable_view(4)
    exporter = free.obj
    free.release()
    with pytest.raises(BufferError):
        ring.commit(4)
    with memoryview(exporter) as again:
        again[:] = b"abcd"
    del exporter
    ring.commit(4)
    assert bytes(ring) == b"abcd"


def test_numpy_array_over_a_writable_view_holds_the_lease():
    np = pytest.importorskip("numpy")
    import picoring

    ring = picoring.PicoRingByte(4096)
    target = np.frombuffer(ring.get_writable_view(8), dtype=np.uint8)
    target[:] = 7
    with pytest.raises(BufferError):
        ring.commit(8)
    del target
    ring.commit(8)
    assert bytes(ring) == b"\x07" * 8
