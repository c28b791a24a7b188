"""`sys.getsizeof`: the object's basic size plus the memory it holds, as bytearray and array.array
count their buffers (lists: committed bytes; rings: the data buffer once)."""

import sys

import pytest

from picoring import (
    PicoByteStreamPy,
    PicoList,
    PicoListByte,
    PicoQueueByte,
    PicoRing,
    PicoRingByte,
    SharedRing,
    SharedRingByte,
)


def held(obj):
    """What `__sizeof__` adds to `object.__sizeof__` for `obj` by the documented rule, or
    `None` for a typed ring, whose buffer is whole pages holding at least its frames."""
    if isinstance(obj, PicoList):
        return obj.capacity() * obj.itemsize
    if isinstance(obj, (PicoRing, SharedRing)):
        return None
    return obj.capacity()


def check(obj):
    """`obj.__sizeof__()`, checked against the rule."""
    size = obj.__sizeof__()
    basic = object.__sizeof__(obj)
    assert isinstance(size, int)
    assert size >= basic
    assert sys.getsizeof(obj) >= size
    extra = held(obj)
    if extra is None:
        frames = obj.capacity() * obj.itemsize * obj.channels
        assert size - basic >= frames
        assert (size - basic) % 4096 == 0
    else:
        assert size == basic + extra
    return size


@pytest.mark.parametrize("make", [lambda: PicoList("q"), lambda: PicoListByte()])
def test_a_list_counts_its_committed_bytes_and_grows_with_them(make):
    lst = make()
    empty = check(lst)
    assert empty == object.__sizeof__(lst)  # nothing committed yet
    lst.extend(range(100) if isinstance(lst, PicoListByte) else range(10**5))
    some = check(lst)
    assert some > empty
    lst.extend(bytes(1 << 20) if isinstance(lst, PicoListByte) else range(10**6))
    more = check(lst)
    assert more > some
    # The reservation (gigabytes of address space) is not counted.
    assert more < 64 << 20


def test_a_big_typed_list_is_counted_like_array():
    import array

    a = array.array("q", range(10**6))
    lst = PicoList("q", range(10**6))
    assert sys.getsizeof(lst) >= len(lst) * 8
    # Committed memory runs ahead of the length by at most a doubling.
    assert sys.getsizeof(lst) <= 2 * sys.getsizeof(a)


@pytest.mark.parametrize(
    "make",
    [
        lambda: PicoRingByte(10000),
        lambda: PicoQueueByte(10000),
        lambda: PicoByteStreamPy(10000),
        lambda: PicoRing("d", 1000),
        lambda: PicoRing("h", 100, channels=3),
        lambda: SharedRingByte(10000),
        lambda: SharedRing("d", 1000),
    ],
)
def test_a_ring_counts_its_buffer_once(make):
    ring = make()
    size = check(ring)
    buffer = size - object.__sizeof__(ring)
    if isinstance(ring, (PicoRing, SharedRing)):
        assert buffer >= ring.capacity() * ring.itemsize * ring.channels
    else:
        assert buffer == ring.capacity()
    # The mirror maps the same pages a second time: not counted again.
    assert buffer < 2 * max(ring.capacity() * getattr(ring, "itemsize", 1) * getattr(ring, "channels", 1), 4096)
    ring.close()


def test_closed_objects_count_their_basic_size_only():
    lst = PicoList("d", range(1000))
    assert lst.__sizeof__() > object.__sizeof__(lst)
    lst.close()
    assert lst.__sizeof__() == object.__sizeof__(lst)
    ring = PicoRingByte(100)
    ring.close()
    assert ring.__sizeof__() == object.__sizeof__(ring)


def test_a_subclass_counts_its_own_basic_size():
    class Sub(PicoList):
        __slots__ = ("extra",)

    sub = Sub("b", b"abc")
    assert object.__sizeof__(sub) > object.__sizeof__(PicoList("b"))  # the slot
    assert sub.__sizeof__() == object.__sizeof__(sub) + sub.capacity()
