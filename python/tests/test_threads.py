"""Eight threads hammering one object: no crash, no "Already borrowed", no lost or corrupted data."""

import struct
import threading
from collections import Counter

import pytest

import picoring

RECORD = struct.Struct("<II")  # (producer id, sequence number)


def run_threads(targets):
    errors = []

    def guard(target):
        try:
            target()
        except BaseException as err:  # reported below, with the thread's own traceback text
            errors.append(err)

    threads = [threading.Thread(target=guard, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors


@pytest.mark.parametrize("cls, push, pop", [
    (picoring.PicoRingByte, "push_bytes", "pop_bytes"),
    (picoring.PicoQueueByte, "push_bulk", "pop_bulk"),
])
def test_four_producers_four_consumers_lose_and_duplicate_nothing(cls, push, pop):
    ring = cls(4096)
    per_producer = 3000
    received = [[] for _ in range(4)]
    done = threading.Event()

    def producer(pid):
        def run():
            push_fn = getattr(ring, push)
            for seq in range(per_producer):
                record = RECORD.pack(pid, seq)
                while not push_fn(record):  # all or nothing: a record is never split
                    pass
        return run

    def consumer(cid):
        def run():
            pop_fn = getattr(ring, pop)
            while True:
                chunk = pop_fn(RECORD.size * 7)
                assert len(chunk) % RECORD.size == 0
                received[cid].extend(RECORD.iter_unpack(chunk))
                if not chunk and done.is_set() and len(ring) == 0:
                    return
        return run

    producers = [producer(p) for p in range(4)]
    consumers = [consumer(c) for c in range(4)]

    def producers_then_done():
        run_threads(producers)
        done.set()

    run_threads([producers_then_done] + consumers)
    everything = Counter(rec for part in received for rec in part)
    assert everything == Counter((p, s) for p in range(4) for s in range(per_producer))
    # Each consumer sees each producer's records in order (pops are atomic under the lock).
    for part in received:
        for p in range(4):
            seqs = [s for (q, s) in part if q == p]
            assert seqs == sorted(seqs)


def test_stream_with_views_and_big_copies_from_eight_threads():
    stream = picoring.PicoByteStreamPy(1 << 20)
    chunk = bytes(range(256)) * 512  # 128 KiB: copies release the GIL
    rounds = 40
    total_in = [0] * 4
    total_out = [0] * 4
    stop = threading.Event()

    def writer(i):
        def run():
            for _ in range(rounds):
                data = memoryview(chunk)
                while data:
                    n = stream.write(data)
                    total_in[i] += n
                    data = data[n:]
        return run

    def reader(i):
        def run():
            out = bytearray(100_000)
            while not stop.is_set() or stream.available_to_read():
                try:
                    with stream.peek() as view:  # a live view must block other readers' consumes
                        len(view)
                except BufferError:
                    pass
                try:
                    total_out[i] += stream.readinto(out)
                except BufferError:
                    pass  # another reader's view was alive: documented, retry
        return run

    def writers_then_stop():
        run_threads([writer(i) for i in range(4)])
        stop.set()

    run_threads([writers_then_stop] + [reader(i) for i in range(4)])
    assert sum(total_in) == sum(total_out) == 4 * rounds * len(chunk)


def test_list_appends_from_eight_threads():
    lst = picoring.PicoListByte()
    view_holder = memoryview(lst)  # growth while exported must not disturb anything

    def appender(i):
        def run():
            for _ in range(2000):
                lst.append(i)
            lst.extend(bytes([i]) * 5000)
        return run

    run_threads([appender(i) for i in range(8)])
    assert Counter(bytes(lst)) == Counter({i: 7000 for i in range(8)})
    assert len(view_holder) == 0
