"""The typed Broadcast: records of whole frames, which readers get as `(frames, channels)` views
of the ring (the shape `PicoRing` exports)."""

import array
import threading

import pytest
from hypothesis import given, settings, strategies as st

from conftest import EXPORTS_MESSAGE
from picoring import Broadcast, BroadcastReader, Lagged, PicoRing

np = pytest.importorskip("numpy")


def block(seq, n, channels=2):
    """Frames numbered from `seq`: frame `i` holds `seq + i` plus its channel over 10."""
    rows = np.arange(seq, seq + n, dtype=np.float32)[:, None]
    return rows + np.arange(channels, dtype=np.float32) / 10


@pytest.mark.parametrize("lossy", [True, False])
def test_every_reader_gets_the_same_frames(lossy):
    channel = Broadcast("f", 256, channels=2, lossy=lossy)
    assert (channel.typecode, channel.itemsize, channel.channels) == ("f", 4, 2)
    assert channel.capacity() == 256 and channel.lossy == lossy
    readers = [channel.subscribe() for _ in range(3)]
    assert all(isinstance(r, BroadcastReader) for r in readers)
    sizes = [1, 5, 0, 17, 64]
    for seq, n in enumerate(sizes):
        channel.send(block(seq, n))
    for reader in readers:
        for seq, n in enumerate(sizes):
            view = reader.recv(timeout=0)
            assert view.readonly
            assert view.format == "f" and view.shape == (n, 2) and view.itemsize == 4
            got = np.asarray(view)
            assert got.dtype == np.float32 and got.shape == (n, 2)
            np.testing.assert_array_equal(got, block(seq, n))
            del got
            view.release()
        with pytest.raises(TimeoutError):
            reader.recv(timeout=0)


def test_the_view_is_the_ring_not_a_copy():
    channel = Broadcast("d", 64, channels=3)
    a, b = channel.subscribe(), channel.subscribe()
    channel.send(np.ones((4, 3)))
    view_a, view_b = a.recv(timeout=0), b.recv(timeout=0)
    arr_a, arr_b = np.asarray(view_a), np.asarray(view_b)
    # Both readers see the one record in the ring: the same memory, not copies.
    assert np.shares_memory(arr_a, arr_b)
    assert arr_a.ctypes.data == arr_b.ctypes.data
    assert not arr_a.flags.writeable and arr_a.flags.c_contiguous
    assert arr_a.base is not None
    # Exported: the reader's next call refuses, as the byte form does.
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        a.recv(timeout=0)
    del arr_a
    view_a.release()
    with pytest.raises(TimeoutError):
        a.recv(timeout=0)
    del arr_b
    view_b.release()


def test_one_channel_is_one_dimensional_as_in_picoring():
    channel = Broadcast("i", 8)
    ring = PicoRing("i", 8)
    reader = channel.subscribe()
    data = array.array("i", [3, 1, 4])
    channel.send(data)
    ring.push(data)
    with reader.recv(timeout=0) as view, ring.get_readable_view() as expected:
        assert view.shape == expected.shape == (3,)
        assert view.format == expected.format
        assert view.tolist() == [3, 1, 4]


@pytest.mark.parametrize(
    "data",
    [
        np.zeros((3, 2), np.float64),  # wrong format
        np.zeros((3, 3), np.float32),  # wrong channel count
        np.zeros(3, np.float32),  # not whole frames
        np.zeros((2, 2, 2), np.float32),  # three dimensions
        b"\0" * 8,  # bytes are format "B"
        np.zeros((9, 2), np.float32),  # more frames than a record holds
    ],
)
def test_bad_data_raises_what_picoring_push_raises(data):
    channel = Broadcast("f", 8, channels=2)
    ring = PicoRing("f", 8, channels=2)
    reader = channel.subscribe()
    with pytest.raises(ValueError) as ring_error:
        ring.push(data)
    with pytest.raises(type(ring_error.value)):
        channel.send(data)
    with pytest.raises(TypeError):
        channel.send([1.0, 2.0])
    # Nothing was sent.
    with pytest.raises(TimeoutError):
        reader.recv(timeout=0)


def test_interleaved_items_and_other_buffers_are_frames():
    channel = Broadcast("h", 16, channels=2)
    reader = channel.subscribe()
    channel.send(array.array("h", range(6)))  # three interleaved frames
    channel.send(memoryview(np.arange(4, dtype=np.int16).reshape(2, 2)))
    with reader.recv(timeout=0) as view:
        assert view.shape == (3, 2) and view.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert reader.recv_bytes(timeout=0) == np.arange(4, dtype=np.int16).tobytes()


@pytest.mark.parametrize(
    "args, error",
    [
        (("f", 0), ValueError),
        (("f", 4, 0), ValueError),
        (("f", -1), ValueError),
        (("z", 4), ValueError),
        ((1, 4), TypeError),
        (("q", 1 << 62, 4), MemoryError),
    ],
)
def test_constructor_errors_are_picorings(args, error):
    with pytest.raises(error):
        PicoRing(*args)
    with pytest.raises(error):
        Broadcast(*args)


def test_full_record_fits_and_lossy_readers_lag():
    channel = Broadcast("B", 100)
    reader = channel.subscribe()
    channel.send(bytes(range(100)))  # exactly `frames` frames: one record fits the ring
    assert reader.recv_bytes(timeout=0) == bytes(range(100))
    for i in range(10_000):
        channel.send(np.full(50, i % 256, np.uint8))
    with pytest.raises(Lagged) as lagged:
        reader.recv(timeout=0)
    assert lagged.value.missed > 0 and reader.lag == lagged.value.missed


def test_lossless_send_waits_for_the_slowest_reader():
    channel = Broadcast("f", 32, channels=1, lossy=False)
    reader = channel.subscribe()
    sent = 0
    with pytest.raises(TimeoutError):  # the ring (rounded up to pages) fills up
        for sent in range(1, 10_000):
            channel.send(np.full(32, sent, np.float32), timeout=0)
    sent -= 1
    assert sent > 0
    got = []
    thread = threading.Thread(target=lambda: got.append(reader.recv_bytes(timeout=5)))
    thread.start()
    channel.send(np.full(32, -1, np.float32), timeout=5)
    thread.join()
    assert got == [np.full(32, 1, np.float32).tobytes()]
    for seq in range(2, sent + 1):
        with reader.recv(timeout=0) as view:
            assert np.array_equal(np.asarray(view), np.full(32, seq, np.float32))
    with reader.recv(timeout=0) as view:
        assert np.asarray(view)[0] == -1


def test_close_and_repr():
    channel = Broadcast("d", 4, channels=2)
    reader = channel.subscribe()
    assert repr(channel) == "<picoring.Broadcast 'd' capacity=4 channels=2 lossy=True readers=1>"
    with channel:
        channel.send(np.zeros((1, 2)))
    assert channel.closed and repr(channel) == "<picoring.Broadcast closed>"
    with pytest.raises(ValueError):
        channel.send(np.zeros((1, 2)))
    assert reader.recv(timeout=0).shape == (1, 2)
    with pytest.raises(EOFError):
        reader.recv(timeout=0)


def test_recv_array_is_a_writable_copy():
    channel = Broadcast("d", 16, channels=2)
    reader, other = channel.subscribe(), channel.subscribe()
    channel.send(block(5, 3).astype(np.float64))
    channel.send(np.zeros((0, 2)))
    got = reader.recv_array(timeout=0)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (3, 2)
    np.testing.assert_array_equal(got, block(5, 3))
    got[0, 0] = -1  # a copy: the ring is untouched
    with other.recv(timeout=0) as view:
        assert not np.shares_memory(got, np.asarray(view))
        np.testing.assert_array_equal(np.asarray(view), block(5, 3))
    # Released at once: nothing held, so recv works while `got` lives.
    empty = reader.recv_array(timeout=0)
    assert empty.shape == (0, 2)
    with pytest.raises(TimeoutError):
        reader.recv_array(timeout=0)


def test_recv_array_of_a_byte_reader_is_uint8():
    channel = Broadcast(4096)
    reader = channel.subscribe()
    channel.send(b"abc")
    got = reader.recv_array(timeout=0)
    assert got.dtype == np.uint8 and got.tobytes() == b"abc"


@settings(max_examples=60, deadline=None)
@given(
    channels=st.integers(1, 4),
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("send"), st.integers(0, 8)),
            st.tuples(st.just("recv"), st.integers(0, 2)),
        ),
        max_size=40,
    ),
)
def test_readers_match_a_list_of_sent_blocks(channels, steps):
    """Lossless: each reader gets exactly the blocks sent since it subscribed, in order, with
    their shapes, against a model of one list of blocks and a position per reader."""
    channel = Broadcast("q", 8, channels=channels, lossy=False)
    readers = [channel.subscribe() for _ in range(3)]
    sent, read = [], [0, 0, 0]
    for seq, (op, arg) in enumerate(steps):
        if op == "send":
            data = np.arange(arg * channels, dtype=np.int64).reshape(arg, channels) + seq
            try:
                channel.send(data, timeout=0)
            except TimeoutError:
                assert min(read) < len(sent)  # only full while a reader is behind
                continue
            sent.append(data)
        else:
            reader = readers[arg]
            if read[arg] == len(sent):
                with pytest.raises(TimeoutError):
                    reader.recv(timeout=0)
                continue
            expected = sent[read[arg]]
            read[arg] += 1
            if arg == 0:
                got = reader.recv_array(timeout=0)
            else:
                view = reader.recv(timeout=0)
                got = np.array(view)
                view.release()
            assert got.shape == ((len(expected),) if channels == 1 else expected.shape)
            np.testing.assert_array_equal(got.reshape(expected.shape), expected)
