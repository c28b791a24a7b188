"""Blocking push/pop with timeouts on PicoRing: producers and consumers on threads."""

import math
import threading
import time

import pytest

from conftest import ctrl_c_pressed
from picoring import PicoRing

np = pytest.importorskip("numpy")

# float32 holds every integer below 2**24 exactly: the stream's items count modulo that.
EXACT = 2**24


def sequence(start, count):
    return (np.arange(start, start + count, dtype=np.int64) % EXACT).astype(np.float32)


def test_producer_and_consumer_move_100_mb_of_stereo_float32_exactly():
    channels = 2
    total_frames = 100 * 2**20 // (4 * channels)
    # Blocking push and pop are all or nothing: a push of n frames and a pop of m frames can
    # wait for each other forever unless n + m <= capacity (here at most 9_973 + 12_007).
    ring = PicoRing("f", 32_768, channels=channels)
    errors = []

    def produce():
        try:
            sent, block = 0, 1
            while sent < total_frames:
                n = min(block, total_frames - sent)
                data = sequence(sent * channels, n * channels).reshape(n, channels)
                assert ring.push(data, timeout=30) == n
                sent += n
                block = block * 7 % 9_973 + 1  # varied sizes, up to about 10k frames
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    producer = threading.Thread(target=produce)
    producer.start()
    received, block = 0, 3
    while received < total_frames:
        n = min(block, total_frames - received)
        out = ring.pop(n, timeout=30)
        assert out.shape == (n, channels)
        expected = sequence(received * channels, n * channels).reshape(n, channels)
        if not np.array_equal(out, expected):
            pytest.fail(f"frames {received}..{received + n} differ")
        received += n
        block = block * 5 % 12_007 + 1
    producer.join(timeout=60)
    assert not producer.is_alive() and not errors, errors
    assert len(ring) == 0


def test_pop_times_out_having_removed_nothing():
    ring = PicoRing("d", 10)
    ring.push(np.arange(3.0))
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        ring.pop(4, timeout=0.05)
    assert time.monotonic() - start >= 0.05  # it waited at least the timeout
    with pytest.raises(TimeoutError):
        ring.pop(4, timeout=0)
    assert ring.pop(3, timeout=0).tolist() == [0.0, 1.0, 2.0]


def test_push_times_out_having_written_nothing():
    ring = PicoRing("i", 4)
    ring.push(np.arange(3, dtype=np.int32))
    with pytest.raises(TimeoutError):
        ring.push(np.arange(2, dtype=np.int32), timeout=0.01)
    assert len(ring) == 3
    assert ring.push(np.arange(1, dtype=np.int32), timeout=0) == 1


def test_a_waiting_pop_is_woken_by_a_push_from_another_thread():
    ring = PicoRing("f", 100, channels=2)
    got = []
    waiter = threading.Thread(target=lambda: got.append(ring.pop(50, timeout=30)))
    waiter.start()
    # These pushes need the GIL: they happen while the waiter is blocked, so it released it.
    for i in range(5):
        time.sleep(0.01)
        ring.push(np.full((10, 2), i, np.float32))
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    np.testing.assert_array_equal(got[0][:, 0], np.repeat(np.arange(5, dtype=np.float32), 10))


def test_a_waiting_push_is_woken_by_a_pop():
    ring = PicoRing("q", 4)
    ring.push(np.arange(4))
    done = []
    writer = threading.Thread(target=lambda: done.append(ring.push(np.arange(3), timeout=30)))
    writer.start()
    time.sleep(0.02)
    assert ring.pop(2).tolist() == [0, 1]
    ring.consume(1)
    writer.join(timeout=30)
    assert done == [3]
    assert ring.pop(4).tolist() == [3, 0, 1, 2]


def test_close_wakes_every_waiter():
    ring = PicoRing("f", 8)
    ring.push(np.zeros(8, np.float32))
    full = PicoRing("f", 8)
    outcomes = []

    def wait(call):
        try:
            call()
            outcomes.append("returned")
        except ValueError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=wait, args=(lambda: full.pop(1),)) for _ in range(4)]
    threads += [
        threading.Thread(target=wait, args=(lambda: ring.push(np.zeros(1, np.float32)),))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    time.sleep(0.05)
    full.close()
    ring.close()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == 8 and all("closed" in o for o in outcomes), outcomes


def test_bad_timeouts():
    ring = PicoRing("f", 4)
    for bad in (-1, -0.001, math.nan):
        with pytest.raises(ValueError):
            ring.pop(1, timeout=bad)
        with pytest.raises(ValueError):
            ring.push(np.zeros(1, np.float32), timeout=bad)
    with pytest.raises(TypeError):
        ring.pop(1, timeout="1")
    ring.push(np.zeros(1, np.float32), timeout=math.inf)  # room: no wait
    assert ring.pop(1, timeout=1e300).tolist() == [0.0]


def test_many_producers_and_consumers_lose_and_duplicate_nothing():
    ring = PicoRing("q", 64)
    per_producer, producers, consumers = 5_000, 4, 4
    total = per_producer * producers
    seen = []
    lock = threading.Lock()

    def produce(p):
        for start in range(0, per_producer, 10):
            ring.push(np.arange(start, start + 10) + p * per_producer, timeout=30)

    def consume(share):
        got = []
        for _ in range(share // 5):
            got.extend(ring.pop(5, timeout=30).tolist())
        with lock:
            seen.extend(got)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    threads += [threading.Thread(target=consume, args=(total // consumers,)) for _ in range(consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(seen) == list(range(total))


def test_ctrl_c_interrupts_a_wait_without_a_timeout():
    ring = PicoRing("f", 8)
    with ctrl_c_pressed():
        ring.pop(1)  # would wait forever
    ring.push(np.ones(1, np.float32))
    assert ring.pop(1, timeout=0).tolist() == [1.0]


# PicoByteStreamPy: read/write are non-blocking by default (upstream 0.6), socket-like with a
# timeout: wait for at least one byte (or one byte of room), then return what is there.


def test_stream_defaults_stay_non_blocking():
    from picoring import PicoByteStreamPy

    stream = PicoByteStreamPy(4096)
    assert stream.read(10) == b""
    stream.write(b"x" * stream.capacity())
    assert stream.write(b"more") == 0


def test_stream_read_waits_for_a_writer_then_returns_what_is_there():
    from picoring import PicoByteStreamPy

    stream = PicoByteStreamPy(4096)
    timer = threading.Timer(0.02, stream.write, args=(b"hello",))
    timer.start()
    assert stream.read(100, timeout=30) == b"hello"
    timer.join()
    with pytest.raises(TimeoutError):
        stream.read(1, timeout=0.01)
    with pytest.raises(ValueError):
        stream.read(-1, timeout=None)  # checked before waiting


def test_stream_write_waits_for_room():
    from picoring import PicoByteStreamPy

    stream = PicoByteStreamPy(4096)
    cap = stream.capacity()
    stream.write(b"a" * cap)
    with pytest.raises(TimeoutError):
        stream.write(b"b", timeout=0.01)
    timer = threading.Timer(0.02, stream.read, args=(10,))
    timer.start()
    assert stream.write(b"b" * 20, timeout=30) == 10
    timer.join()
    assert stream.read(cap) == b"a" * (cap - 10) + b"b" * 10


def test_stream_close_wakes_waiters_and_bytes_arrive_in_order():
    from picoring import PicoByteStreamPy

    stream = PicoByteStreamPy(4096)
    total = 3 * 2**20
    data = bytes(range(256)) * (total // 256)
    received = bytearray()

    def consume():
        while len(received) < total:
            received.extend(stream.read(5000, timeout=30))

    consumer = threading.Thread(target=consume)
    consumer.start()
    view = memoryview(data)
    while view:
        view = view[stream.write(view[:7000], timeout=30):]
    consumer.join(timeout=60)
    assert received == data

    outcomes = []

    def wait():
        try:
            stream.read(1, timeout=None)
        except ValueError as e:
            outcomes.append(str(e))

    waiters = [threading.Thread(target=wait) for _ in range(4)]
    for t in waiters:
        t.start()
    time.sleep(0.05)
    stream.close()
    for t in waiters:
        t.join(timeout=30)
    assert len(outcomes) == 4 and all("closed" in o for o in outcomes)
