"""Corner cases that behave like the built-in each class resembles (bytearray, array.array,
sockets), or as the README's policy table says."""

import array
import math
import subprocess
import sys
import textwrap

import pytest

import picoring
from conftest import EXPORTS_MESSAGE

LISTS = [
    pytest.param(lambda: picoring.PicoListByte(b"abc"), lambda: bytearray(b"abc"), id="PicoListByte"),
    pytest.param(lambda: picoring.PicoList("h", [1, 2, 3]), lambda: array.array("h", [1, 2, 3]), id="PicoList"),
]


@pytest.mark.parametrize("make, builtin", LISTS)
def test_an_exhausted_iterator_stays_exhausted(make, builtin):
    for seq in (make(), builtin()):
        it = iter(seq)
        assert len(list(it)) == 3
        assert next(it, None) is None
        seq.extend([4, 5, 6, 7])
        assert list(it) == []  # bytearray and array.array iterators stay exhausted
        assert next(it, None) is None


@pytest.mark.parametrize("make, builtin", LISTS)
def test_an_iterator_still_running_sees_appended_items(make, builtin):
    for seq in (make(), builtin()):
        it = iter(seq)
        next(it)
        seq.append(4)
        assert len(list(it)) == 3


@pytest.mark.parametrize("make, builtin", LISTS)
@pytest.mark.parametrize("index", [2**63, -(2**63) - 1, 2**100])
def test_huge_indices_are_index_errors(make, builtin, index):
    for seq in (make(), builtin()):
        with pytest.raises(IndexError):
            seq[index]
        with pytest.raises(IndexError):
            seq[index] = 1


def test_list_byte_membership_like_bytearray():
    lst = picoring.PicoListByte(b"xaby")
    ref = bytearray(b"xaby")
    for value in (b"ab", b"", b"xaby", b"ba", bytearray(b"y"), memoryview(b"aby"), ord("a"), 0, 255):
        assert (value in lst) == (value in ref), value
    for bad, error in ((300, ValueError), (-1, ValueError), (2**70, ValueError), ("a", TypeError), (1.0, TypeError)):
        for seq in (lst, ref):
            with pytest.raises(error):
                bad in seq  # noqa: B015 (the membership test is what raises)


def test_typed_list_max_capacity_counts_items():
    lst = picoring.PicoList("d", max_capacity=1000)
    assert lst.max_capacity() == 1000
    lst.extend([0.5] * 1000)
    with pytest.raises(MemoryError):
        lst.append(1.0)
    assert len(lst) == 1000
    assert picoring.PicoListByte(max_capacity=1000).max_capacity() == 1000
    with pytest.raises(MemoryError):
        picoring.PicoList("q", max_capacity=sys.maxsize)


def test_typed_ring_too_large_is_a_memory_error():
    with pytest.raises(MemoryError):
        picoring.PicoRing("d", 2**62)
    with pytest.raises(MemoryError):
        picoring.PicoRing("f", 2**40, channels=2**30)
    with pytest.raises(MemoryError):
        bytearray(2**62)  # what the README's policy follows


@pytest.mark.parametrize("timeout", [-1, -0.5, math.nan])
def test_bad_timeouts_are_refused_whatever_the_count(timeout):
    stream = picoring.PicoByteStreamPy(4096)
    stream.write(b"abc")
    for call in (
        lambda: stream.read(0, timeout=timeout),
        lambda: stream.read(1, timeout=timeout),
        lambda: stream.write(b"", timeout=timeout),
        lambda: stream.write(b"x", timeout=timeout),
    ):
        with pytest.raises(ValueError, match="timeout"):
            call()
    assert bytes(stream) == b"abc"


def test_zero_dimensional_buffers_are_one_item():
    np = pytest.importorskip("numpy")
    scalar = np.float32(1.5)
    assert bytearray(scalar) == scalar.tobytes()  # what bytearray does with a 0-d buffer
    ring = picoring.PicoRingByte(4096)
    assert ring.push_bytes(scalar)
    assert ring.pop_bytes(10) == scalar.tobytes()
    lst = picoring.PicoList("f")
    lst.extend(scalar)
    assert lst.tolist() == [1.5]
    frames = picoring.PicoRing("f", 4)
    assert frames.push(scalar) == 1
    assert frames.pop().tolist() == [1.5]
    # The constructor takes an int-like as a count first, as bytearray's does.
    assert picoring.PicoListByte(np.uint8(7)) == bytearray(np.uint8(7)) == bytes(7)
    blist = picoring.PicoListByte()
    blist.extend(np.uint8(7))
    assert bytes(blist) == b"\x07"
    assert picoring.PicoQueueByte(4096).push_bulk(np.array(3, dtype=np.int64))


ALL_CLASSES = [
    pytest.param(lambda: picoring.PicoRingByte(4096), id="PicoRingByte"),
    pytest.param(lambda: picoring.PicoQueueByte(4096), id="PicoQueueByte"),
    pytest.param(lambda: picoring.PicoByteStreamPy(4096), id="PicoByteStreamPy"),
    pytest.param(lambda: picoring.PicoListByte(b"abc"), id="PicoListByte"),
    pytest.param(lambda: picoring.PicoList("i", [1, 2]), id="PicoList"),
    pytest.param(lambda: picoring.PicoRing("f", 8), id="PicoRing"),
]


@pytest.mark.parametrize("make", ALL_CLASSES)
def test_init_twice_is_a_clear_error(make):
    obj = make()
    before = bytes(obj)
    with pytest.raises(TypeError, match="re-initialised"):
        obj.__init__(8192)
    assert bytes(obj) == before


@pytest.mark.parametrize("make", ALL_CLASSES)
def test_an_exception_in_a_with_block_propagates_past_a_live_view(make):
    obj = make()
    with pytest.raises(KeyError, match="original"):
        with obj:
            view = memoryview(obj)
            raise KeyError("original")
    assert not obj.closed  # the view still uses the memory: it stays open
    assert bytes(view) == bytes(obj)
    view.release()
    obj.close()
    assert obj.closed
    # Without an exception in flight, closing under a view is still refused.
    obj = make()
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        with obj:
            view = memoryview(obj)
    view.release()


NO_NUMPY = textwrap.dedent(
    """
    import sys
    sys.modules["numpy"] = None  # import numpy now raises ImportError
    import picoring
    for channels, shape in ((1, (0,)), (3, (0, 3))):
        ring = picoring.PicoRing("f", 4, channels)
        empty = ring.pop()
        assert isinstance(empty, memoryview), type(empty)
        assert empty.shape == shape and empty.format == "f" and empty.nbytes == 0, empty.shape
        assert empty.tolist() == [] and bytes(empty) == b""
        assert ring.pop(0).shape == shape
        ring.push(memoryview(bytes(4 * channels)).cast("f"))
        full = ring.pop()
        assert full.shape == ((1,) if channels == 1 else (1, channels)), full.shape
    print("ok")
    """
)


def test_empty_pop_without_numpy_is_an_empty_view_of_the_frame_shape():
    done = subprocess.run([sys.executable, "-c", NO_NUMPY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok"]


def test_empty_pop_with_numpy_is_an_empty_array_of_the_frame_shape():
    np = pytest.importorskip("numpy")
    for channels, shape in ((1, (0,)), (3, (0, 3))):
        empty = picoring.PicoRing("f", 4, channels).pop()
        assert isinstance(empty, np.ndarray)
        assert empty.shape == shape and empty.dtype == np.float32
