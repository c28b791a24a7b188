"""SharedRing: typed frames in a ring shared between processes, read as numpy views."""

import multiprocessing
import os
import random
import sys
from pathlib import Path

import pytest

from picoring import SharedRing

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="shared rings run on Linux")
np = pytest.importorskip("numpy")

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
TIMEOUT = 120


def blocks(count, frames=1024, channels=2):
    for i in range(count):
        block = np.empty((frames, channels), dtype=np.float32)
        block[:, 0] = i
        block[:, 1] = np.arange(frames, dtype=np.float32)
        yield block


def produce(ring, count):
    for block in blocks(count):
        assert ring.push(block, timeout=TIMEOUT) == len(block)
    ring.close()


def consume_views(ring, results):
    """Reads every queued frame in place until the producer is gone; reports sums."""
    got, first, second = 0, 0.0, 0.0
    while True:
        if ring.wait_readable(1, timeout=TIMEOUT) == 0:
            break
        view = ring.get_readable_view()
        frames = np.asarray(view)  # everything queued by now: at least what was waited for
        n = len(frames)
        assert frames.shape == (n, 2) and frames.dtype == np.float32
        first += float(frames[:, 0].sum(dtype=np.float64))
        second += float(frames[:, 1].sum(dtype=np.float64))
        got += n
        del frames
        view.release()
        ring.consume(n)
    results.put((got, first, second))


def test_frames_in_and_out_in_one_process():
    with SharedRing("f", 1000, channels=2) as ring:
        assert ring.typecode == "f" and ring.itemsize == 4 and ring.channels == 2
        assert ring.capacity() >= 1000 and len(ring) == 0
        data = np.arange(20, dtype=np.float32).reshape(10, 2)
        assert ring.push(data) == 10
        assert len(ring) == 10 and ring.free_len() == ring.capacity() - 10
        view = ring.get_readable_view()
        assert view.shape == (10, 2) and view.format == "f"
        arr = np.asarray(view)
        assert np.array_equal(arr, data)
        with pytest.raises(BufferError):
            ring.consume(1)
        del arr
        view.release()
        out = ring.pop(4)
        assert isinstance(out, np.ndarray) and np.array_equal(out, data[:4])
        assert np.array_equal(ring.pop(), data[4:])
        with pytest.raises(TimeoutError):
            ring.pop(1, timeout=0.05)


def test_bad_frames_are_refused_whole():
    ring = SharedRing("d", 100, channels=3)
    with pytest.raises(ValueError):
        ring.push(np.zeros((2, 3), dtype=np.float32))  # not the ring's format, as PicoRing
    with pytest.raises(ValueError):
        ring.push(np.zeros((2, 2), dtype=np.float64))  # not 3 channels
    with pytest.raises(ValueError):
        ring.push(np.zeros((ring.capacity() + 1, 3)))
    with pytest.raises(ValueError):
        SharedRing("f", 0)
    with pytest.raises(ValueError):
        SharedRing("x", 10)
    assert len(ring) == 0
    assert ring.push(np.ones(6)) == 2  # interleaved frames, flat
    ring.close()


def test_open_by_name_checks_the_frame_shape():
    name = f"picoring-test-typed-{os.getpid()}-{random.getrandbits(32):08x}"
    ring = SharedRing("h", 500, channels=4, name=name)
    try:
        with pytest.raises(ValueError):
            SharedRing.open(name, "f", channels=4)  # 16-byte frames, not 8
        other = SharedRing.open(name, "h", channels=4)
        ring.push(np.arange(8, dtype=np.int16))
        assert np.array_equal(other.pop(2), np.arange(8, dtype=np.int16).reshape(2, 4))
        other.close()
    finally:
        ring.unlink()
        ring.close()
    assert not (Path("/dev/shm") / name).exists()


def test_pop_returns_fewer_frames_once_the_producer_is_gone():
    name = f"picoring-test-typed-eof-{os.getpid()}-{random.getrandbits(32):08x}"
    producer = SharedRing("i", 100, name=name)
    consumer = SharedRing.open(name, "i")
    producer.unlink()
    producer.push(np.arange(3, dtype=np.intc))
    producer.close()  # the end of the stream
    assert np.array_equal(consumer.pop(10, timeout=5), np.arange(3))
    assert consumer.pop(1).shape == (0,)
    assert consumer.is_abandoned() and consumer.wait_readable(1) == 0
    consumer.close()


@pytest.mark.parametrize("method", METHODS)
def test_child_producer_parent_reads_numpy_views(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRing("f", 8192, channels=2)
    count = 200
    proc = ctx.Process(target=produce, args=(ring, count))
    proc.start()
    got, first, second = 0, 0.0, 0.0
    while True:
        if ring.wait_readable(1, timeout=TIMEOUT) == 0:
            break
        with ring.get_readable_view() as view:
            frames = np.asarray(view)
            n = len(frames)
            first += float(frames[:, 0].sum(dtype=np.float64))
            second += float(frames[:, 1].sum(dtype=np.float64))
            del frames
        ring.consume(n)
        got += n
    proc.join(TIMEOUT)
    assert proc.exitcode == 0
    assert got == count * 1024
    assert first == sum(i * 1024 for i in range(count))
    assert second == count * sum(range(1024))
    ring.close()


@pytest.mark.parametrize("method", METHODS)
def test_parent_producer_child_reads_numpy_views(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRing("f", 4096, channels=2)
    results = ctx.Queue()
    proc = ctx.Process(target=consume_views, args=(ring, results))
    proc.start()
    count = 100
    for block in blocks(count):
        ring.push(block, timeout=TIMEOUT)
    ring.close()
    got, first, second = results.get(timeout=TIMEOUT)
    proc.join(TIMEOUT)
    assert proc.exitcode == 0
    assert (got, first, second) == (count * 1024, sum(i * 1024.0 for i in range(count)), count * sum(range(1024)))
