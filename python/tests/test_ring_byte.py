"""PicoRingByte: the seed's byte ring, upstream 0.6 names, views that stay valid."""

import array

import pytest

from conftest import EXPORTS_MESSAGE, wrap_near_end
from picoring import PicoRingByte


def test_capacity_is_rounded_up_to_whole_pages_and_reported():
    ring = PicoRingByte(100)
    assert ring.capacity() >= 100
    assert ring.capacity() % 4096 == 0 or ring.capacity() % 16384 == 0
    assert len(ring) == 0 and ring.len() == 0
    assert ring.free_len() == ring.capacity()
    assert not ring
    assert repr(ring) == f"<picoring.PicoRingByte len=0 capacity={ring.capacity()}>"


def test_push_bytes_then_pop_bytes_round_trip():
    ring = PicoRingByte(4096)
    assert ring.push_bytes(b"hello ") is True
    assert ring.push_bytes(bytearray(b"world")) is True
    assert len(ring) == 11 and ring
    assert bytes(ring) == b"hello world"
    assert ring.pop_bytes(6) == b"hello "
    assert ring.pop_bytes(100) == b"world"  # reading more than is there returns what is there
    assert ring.pop_bytes(5) == b""


def test_push_bytes_is_all_or_nothing():
    ring = PicoRingByte(1)
    cap = ring.capacity()
    assert ring.push_bytes(b"x" * (cap - 2)) is True
    assert ring.push_bytes(b"abc") is False  # does not fit: nothing written
    assert len(ring) == cap - 2
    assert ring.push_bytes(b"ab") is True
    assert len(ring) == cap and ring.free_len() == 0
    assert ring.push_bytes(b"") is True
    assert ring.push(1) is False


def test_readable_view_is_one_contiguous_memoryview_across_the_wrap():
    ring = PicoRingByte(4096)
    wrap_near_end(ring, 3)
    payload = bytes(range(200))
    assert ring.push_bytes(payload)
    view = ring.get_readable_view()
    assert isinstance(view, memoryview)
    assert view.readonly and view.contiguous
    assert view.tobytes() == payload
    assert view[2] == 2 and view[3] == 3  # bytes on both sides of the physical end


def test_view_stays_valid_and_blocks_consuming():
    ring = PicoRingByte(4096)
    ring.push_bytes(b"keep me")
    view = ring.get_readable_view()
    for consume in (lambda: ring.pop_bytes(1), lambda: ring.advance_tail(1), ring.pop, ring.clear,
                    ring.close, lambda: ring.readinto(bytearray(2))):
        with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
            consume()
        assert bytes(view) == b"keep me" and len(ring) == 7
    # Appending into free space is fine while the view lives.
    assert ring.push_bytes(b"!")
    assert bytes(view) == b"keep me"
    view.release()
    assert ring.pop_bytes(8) == b"keep me!"


def test_memoryview_of_ring_is_read_only():
    ring = PicoRingByte(4096)
    ring.push_bytes(b"abc")
    with memoryview(ring) as view:
        with pytest.raises(TypeError):
            view[0] = 1
    ring.advance_tail(3)  # the export was released by the with block


def test_consume_beyond_len_raises_and_changes_nothing(ring_class):
    cls, push, _ = ring_class
    ring = cls(4096)
    getattr(ring, push)(b"abc")
    for consume in (ring.consume, getattr(ring, "advance_tail", ring.consume)):
        with pytest.raises(ValueError):
            consume(4)
        assert bytes(ring) == b"abc"
    ring.consume(2)
    assert bytes(ring) == b"c"


def test_advance_head_never_publishes_bytes_not_written_through_a_view():
    ring = PicoRingByte(4096)
    ring.push_bytes(b"secret")
    ring.pop_bytes(6)
    # Upstream 0.6 lets the popped bytes reappear here; we refuse.
    with pytest.raises(ValueError):
        ring.advance_head(6)
    with pytest.raises(ValueError):
        ring.commit(1)
    assert len(ring) == 0


def test_writable_view_and_commit_receive_in_place():
    ring = PicoRingByte(4096)
    wrap_near_end(ring, 2)
    with ring.get_writable_view() as view:
        assert len(view) == ring.capacity() and not view.readonly
        view[:5] = b"hello"
    with pytest.raises(ValueError):
        ring.commit(ring.capacity() + 1)
    ring.commit(5)
    assert bytes(ring) == b"hello"
    with pytest.raises(ValueError):
        ring.commit(1)  # the grant was used up
    with ring.get_writable_view(3) as small:
        assert len(small) == 3
        small[:] = b"abc"
    ring.advance_head(3)  # upstream 0.6 name
    assert bytes(ring) == b"helloabc"
    with ring.get_writable_view(10**9) as free:
        assert len(free) == ring.free_len()  # clamped to the free space


def test_push_refused_while_a_writable_view_is_alive():
    ring = PicoRingByte(4096)
    view = ring.get_writable_view()
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.push_bytes(b"x")
    with pytest.raises(BufferError):
        ring.push(1)
    view.release()
    del view
    assert ring.push_bytes(b"x")


def test_readinto_copies_out_like_rawiobase():
    ring = PicoRingByte(4096)
    ring.push_bytes(b"0123456789")
    out = bytearray(4)
    assert ring.readinto(out) == 4 and out == b"0123"
    target = array.array("b", [0] * 8)
    assert ring.readinto(memoryview(target)[2:]) == 6
    assert bytes(target) == b"\0\x00456789"
    assert ring.readinto(bytearray(3)) == 0
    with pytest.raises(TypeError):
        ring.readinto(b"read-only")


def test_push_and_pop_single_bytes():
    ring = PicoRingByte(4096)
    assert ring.pop() is None
    assert ring.push(0) and ring.push(255)
    assert ring.pop() == 0 and ring.pop() == 255 and ring.pop() is None
    with pytest.raises(ValueError):
        ring.push(256)
    with pytest.raises(ValueError):
        ring.push(-1)
    with pytest.raises(TypeError):
        ring.push("a")


def test_any_bytes_like_input_is_accepted():
    ring = PicoRingByte(4096)
    ring.push_bytes(array.array("i", [1, 2]))
    ring.push_bytes(memoryview(b"xyz")[1:])
    assert bytes(ring) == array.array("i", [1, 2]).tobytes() + b"yz"
    with pytest.raises(BufferError):
        ring.push_bytes(memoryview(b"abcdef")[::2])
    with pytest.raises(TypeError):
        ring.push_bytes("text")
    with pytest.raises(TypeError):
        ring.push_bytes(None)


def test_ring_pushed_into_itself_doubles_its_contents():
    ring = PicoRingByte(4096)
    wrap_near_end(ring, 5)
    ring.push_bytes(b"abcdefgh")
    assert ring.push_bytes(ring) is True
    assert ring.push_bytes(ring.get_readable_view()) is True
    assert bytes(ring) == b"abcdefgh" * 4


def test_clear_close_and_with():
    with PicoRingByte(4096) as ring:
        ring.push_bytes(b"abc")
        ring.clear()
        assert len(ring) == 0
        assert not ring.closed
    assert ring.closed
    assert repr(ring) == "<picoring.PicoRingByte closed>"
    ring.close()  # idempotent
    with pytest.raises(ValueError):
        ring.push_bytes(b"x")
    with pytest.raises(ValueError):
        len(ring)


def test_large_transfers_match_byte_for_byte():
    ring = PicoRingByte(1 << 20)
    cap = ring.capacity()
    chunk = bytes(range(256)) * 1024  # 256 KiB: the GIL is released for the copy
    sent = bytearray()
    received = bytearray()
    for i in range(40):
        data = chunk[i:] + chunk[:i]
        if ring.push_bytes(data):
            sent += data
        received += ring.pop_bytes(cap // 3 + i)
    received += ring.pop_bytes(cap)
    assert received == sent
