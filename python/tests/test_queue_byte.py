"""PicoQueueByte: bulk, all-or-nothing pushes, partial pops, one contiguous view."""

import pytest

from conftest import EXPORTS_MESSAGE, wrap_near_end
from picoring import PicoQueueByte


def test_seed_example():
    q = PicoQueueByte(4096)
    assert q.push_bulk(b"packet data") is True
    assert q.pop_bulk(5) == b"packe"
    assert bytes(q.get_view()) == b"t data"
    assert q.capacity() >= 4096 and q.len() == 6 == len(q)


def test_push_bulk_refuses_what_does_not_fit():
    q = PicoQueueByte(1)
    cap = q.capacity()
    assert q.push_bulk(bytes(cap + 1)) is False
    assert len(q) == 0
    assert q.push_bulk(bytes(cap)) is True
    assert q.push_bulk(b"x") is False
    assert q.push(1) is False


def test_pop_bulk_returns_what_is_there():
    q = PicoQueueByte(4096)
    q.push_bulk(b"abc")
    assert q.pop_bulk(10) == b"abc"
    assert q.pop_bulk(10) == b""
    assert q.pop() is None


def test_view_is_contiguous_across_the_wrap_and_blocks_consume():
    q = PicoQueueByte(4096)
    wrap_near_end(q, 1)
    q.push_bulk(b"wrapped")
    view = q.get_view()
    assert view.tobytes() == b"wrapped"
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        q.pop_bulk(1)
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        q.consume(1)
    assert q.push_bulk(b"!")
    del view
    q.consume(7)
    assert q.pop_bulk(10) == b"!"


def test_single_bytes_fifo_order():
    q = PicoQueueByte(4096)
    for b in b"fifo":
        assert q.push(b)
    assert [q.pop() for _ in range(5)] == [ord("f"), ord("i"), ord("f"), ord("o"), None]
