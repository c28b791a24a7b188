"""numpy interop: zero-copy in both directions."""

import pytest

import picoring
from conftest import EXPORTS_MESSAGE, wrap_near_end

np = pytest.importorskip("numpy")


def address(arr):
    return arr.__array_interface__["data"][0]


def test_frombuffer_over_a_wrapped_ring_is_zero_copy():
    ring = picoring.PicoRingByte(4096)
    wrap_near_end(ring, 8)
    samples = np.arange(16, dtype=np.float32)
    assert ring.push_bytes(samples)  # typed input is read as raw bytes, without a copy
    arr = np.frombuffer(ring, dtype=np.float32)
    assert np.array_equal(arr, samples)
    assert address(arr) == address(np.frombuffer(ring.get_readable_view(), dtype=np.uint8))
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.advance_tail(4)
    del arr
    ring.advance_tail(4)
    assert np.array_equal(np.frombuffer(ring.pop_bytes(60), dtype=np.float32), samples[1:])


def test_numpy_inputs_of_any_dtype_and_noncontiguous_refused():
    q = picoring.PicoQueueByte(4096)
    data = np.arange(12, dtype=np.int64).reshape(3, 4)
    assert q.push_bulk(data)
    assert np.array_equal(np.frombuffer(q.pop_bulk(96), dtype=np.int64).reshape(3, 4), data)
    with pytest.raises(BufferError):
        q.push_bulk(data[:, ::2])
    with pytest.raises(BufferError):
        q.push_bulk(data.T)
    assert len(q) == 0


def test_recv_into_from_numpy_writes():
    stream = picoring.PicoByteStreamPy(4096)
    target = np.frombuffer(stream.get_writable_view(32), dtype=np.uint32)
    target[:] = np.arange(8, dtype=np.uint32)
    del target
    stream.commit(32)
    assert np.array_equal(np.frombuffer(stream.read(32), dtype=np.uint32), np.arange(8))


def test_list_array_stays_valid_while_the_list_grows():
    lst = picoring.PicoListByte(bytes(range(16)))
    arr = np.frombuffer(lst, dtype=np.uint8)
    start = address(arr)
    for _ in range(32):
        lst.extend(np.zeros(1 << 16, dtype=np.uint8))
    assert np.array_equal(arr, np.arange(16))
    arr[0] = 99  # writable, like a bytearray export
    assert lst[0] == 99
    assert address(np.frombuffer(lst, dtype=np.uint8)) == start  # the data never moved
