"""SharedRingByte: a byte ring shared between processes.

One process holds the producer end, one the consumer end (an object may hold both in a single
process); the queued bytes are one contiguous memoryview in each. The ring travels to other
processes by multiprocessing's own fd passing under every start method, or by name.
"""

import gc
import io
import multiprocessing
import multiprocessing.reduction
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import pytest

from picoring import SharedRingByte

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="shared rings run on Linux")

EXPORTS_MESSAGE = "Existing exports of data: object cannot be re-sized"
METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
# A role another live process holds.
ROLE_TAKEN = PermissionError
# A role this object cannot play (it was claimed explicitly for the other one).
WRONG_END = io.UnsupportedOperation
CHILD_TIMEOUT = 120


def shm_entries():
    return set(os.listdir("/dev/shm"))


def assert_no_new_shm_entries(before):
    """No /dev/shm entry appeared since `before`. Only new entries count (another process on the
    machine may remove its own), and one that another process creates and removes at that moment
    is given a few seconds to go."""
    deadline = time.monotonic() + 5
    while shm_entries() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shm_entries() - before == set()


def unique_name(tag):
    return f"picoring-test-{tag}-{os.getpid()}-{random.getrandbits(32):08x}"


def source_block(seed, size=1 << 20):
    return random.Random(seed).randbytes(size)


def chunks(seed, total, max_chunk):
    """Yields memoryviews of a random block, in random sizes, `total` bytes in all."""
    block = memoryview(source_block(seed))
    rng = random.Random(seed + 1)
    sent, offset = 0, 0
    while sent < total:
        n = min(rng.randint(1, max_chunk), total - sent, len(block) - offset)
        yield block[offset : offset + n]
        sent += n
        offset = (offset + n) % len(block)


def expected_crc(seed, total, max_chunk):
    crc = 0
    for piece in chunks(seed, total, max_chunk):
        crc = zlib.crc32(piece, crc)
    return crc


# Process bodies: module-level so that spawn and forkserver children can import them.


def produce(ring, seed, total, max_chunk):
    for piece in chunks(seed, total, max_chunk):
        assert ring.write(piece, timeout=CHILD_TIMEOUT) == len(piece)
    ring.close()


def consume_and_report(ring, max_read, results):
    """Reads until end-of-stream with random read sizes; reports (bytes, crc32)."""
    rng = random.Random(7)
    crc = count = 0
    while True:
        data = ring.read(rng.randint(1, max_read), timeout=CHILD_TIMEOUT)
        if not data:
            break
        crc = zlib.crc32(data, crc)
        count += len(data)
    results.put((count, crc, ring.is_abandoned()))
    ring.close()


def try_claim(ring, role, results):
    try:
        getattr(ring, "as_" + role)()
        results.put("claimed")
    except Exception as e:  # reported to the parent, which checks the type
        results.put(type(e).__name__)
    finally:
        ring.close()


def claim_and_wait(ring, role, ready, release):
    getattr(ring, "as_" + role)()
    ready.set()
    release.wait(CHILD_TIMEOUT)


def produce_frames_forever(ring, ready):
    """Writes framed records (length, sequence number, payload, crc32) until killed."""
    rng = random.Random(os.getpid())
    block = source_block(3)
    seq = 0
    ring.as_producer()
    ready.set()
    while True:
        n = rng.randint(0, 3000)
        offset = rng.randrange(len(block) - n)
        payload = block[offset : offset + n]
        header = struct.pack("<II", n, seq)
        ring.write(header + payload + struct.pack("<I", zlib.crc32(header + payload)))
        seq += 1


def read_then_hang(ring, ready):
    ring.as_consumer()
    ring.read(1, timeout=CHILD_TIMEOUT)
    ready.set()
    time.sleep(CHILD_TIMEOUT)


def numpy_consumer(ring, frames, results):
    import numpy as np

    total = 0.0
    got = 0
    while got < frames:
        n = ring.wait_readable(8 * 1024, timeout=CHILD_TIMEOUT)
        n -= n % 8
        view = ring.get_readable_view()
        arr = np.frombuffer(view, dtype=np.float32, count=n // 4).reshape(-1, 2)
        total += float(arr[:, 0].sum()) - float(arr[:, 1].sum())
        got += len(arr)
        del arr
        view.release()
        ring.advance_tail(n)
    results.put((got, total))


def run(ctx, target, *args):
    proc = ctx.Process(target=target, args=args)
    proc.start()
    return proc


def join_ok(proc):
    proc.join(CHILD_TIMEOUT)
    if proc.is_alive():
        proc.kill()
        proc.join()
        pytest.fail("child did not finish")
    assert proc.exitcode == 0


# One process: the PicoRingByte API.


def test_bytes_go_in_and_come_out_in_order_in_one_process():
    with SharedRingByte(4096) as ring:
        assert ring.capacity() >= 4096 and len(ring) == 0 and not ring
        assert ring.push_bytes(b"hello ") and ring.push_bytes(bytearray(b"world"))
        assert len(ring) == ring.len() == 11 and ring.free_len() == ring.capacity() - 11
        assert bytes(ring) == b"hello world"
        assert ring.pop_bytes(6) == b"hello "
        assert ring.pop_bytes(100) == b"world"
        assert ring.pop_bytes(1) == b""
        assert ring.push_bytes(b"x" * (ring.capacity() + 1)) is False
        assert len(ring) == 0
    assert ring.closed
    with pytest.raises(ValueError, match="closed"):
        ring.len()


def test_queued_bytes_are_one_contiguous_view_across_the_physical_end():
    ring = SharedRingByte(4096)
    cap = ring.capacity()
    filler = cap - 3
    with ring.get_writable_view(filler) as free:
        free[:] = b"\0" * filler
    ring.commit(filler)
    ring.advance_tail(filler)
    data = bytes(range(200))
    assert ring.push_bytes(data)
    with ring.get_readable_view() as view:
        assert view.readonly and bytes(view) == data
    assert ring.pop_bytes(200) == data


def test_views_pin_queued_bytes_and_writable_views_are_leases():
    ring = SharedRingByte(4096)
    ring.push_bytes(b"keep me")
    view = ring.get_readable_view()
    for consume in (lambda: ring.pop_bytes(1), lambda: ring.advance_tail(1), ring.close):
        with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
            consume()
    assert bytes(view) == b"keep me"
    view.release()
    free = ring.get_writable_view(4)
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.push_bytes(b"x")
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.commit(1)
    free[:] = b"abcd"
    free.release()
    with pytest.raises(ValueError):
        ring.commit(5)  # more than the view granted
    ring.commit(4)
    assert ring.pop_bytes(100) == b"keep meabcd"


def test_bad_arguments_get_the_builtin_errors():
    with pytest.raises(ValueError):
        SharedRingByte(0)
    with pytest.raises(ValueError):
        SharedRingByte(-1)
    with pytest.raises(TypeError):
        SharedRingByte("4096")
    with pytest.raises(ValueError):
        SharedRingByte(4096, name="not/one/component")
    with pytest.raises(MemoryError):
        SharedRingByte(2**62)
    ring = SharedRingByte(4096)
    with pytest.raises(TypeError):
        ring.push_bytes("text")
    with pytest.raises(ValueError):
        ring.read(1, timeout=-1)
    with pytest.raises(ValueError):
        ring.write(b"x", timeout=float("nan"))
    with pytest.raises(ValueError):
        ring.advance_tail(1)
    ring.close()


def test_read_and_write_time_out_without_changing_anything():
    ring = SharedRingByte(4096)
    with pytest.raises(TimeoutError):
        ring.read(10, timeout=0.05)
    with pytest.raises(TimeoutError):
        ring.read(10, timeout=0)
    assert ring.write(b"a" * (ring.capacity() - 1)) == ring.capacity() - 1
    with pytest.raises(TimeoutError):
        ring.write(b"bc", timeout=0.05)  # fits the capacity: all of it or nothing
    assert len(ring) == ring.capacity() - 1
    assert ring.read(5) == b"aaaaa"
    assert ring.wait_writable(6, timeout=0) >= 6
    assert ring.write(b"bc", timeout=0) == 2


def test_write_longer_than_the_capacity_goes_in_pieces():
    ring = SharedRingByte(4096)
    data = random.Random(1).randbytes(5 * ring.capacity() + 17)
    received = bytearray()

    def reader():
        while len(received) < len(data):
            received.extend(ring.read(1000, timeout=30))

    thread = threading.Thread(target=reader)
    thread.start()
    assert ring.write(data, timeout=30) == len(data)
    thread.join(30)
    assert bytes(received) == data


def test_a_blocked_read_lets_other_threads_use_the_object():
    ring = SharedRingByte(4096)  # this object holds both ends: a thread on each
    out = []
    thread = threading.Thread(target=lambda: out.append(ring.read(100, timeout=30)))
    thread.start()
    time.sleep(0.1)  # the reader is (most likely) asleep now; either way the result is the same
    ring.write(b"wake up")
    thread.join(30)
    assert out == [b"wake up"]


def test_threads_writing_and_reading_one_object_lose_nothing():
    ring = SharedRingByte(4096)  # small: writers and readers wait for each other often
    per_writer, message = 2000, 100
    received = []
    lock = threading.Lock()
    total = 2 * per_writer * message

    def write(tag):
        for _ in range(per_writer):
            ring.write(tag * message, timeout=60)

    def read():
        while True:
            with lock:
                if sum(map(len, received)) >= total:
                    return
            try:
                data = ring.read(700, timeout=0.2)
            except TimeoutError:
                continue
            with lock:
                received.append(data)

    threads = [threading.Thread(target=write, args=(tag,)) for tag in (b"a", b"b")]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    data = b"".join(received)
    assert len(data) == total and data.count(b"a") == data.count(b"b") == total // 2
    ring.close()


def test_close_wakes_a_blocked_reader():
    ring = SharedRingByte(4096)
    errors = []

    def reader():
        try:
            ring.read(1, timeout=30)
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.1)
    ring.close()
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ValueError)


def test_explicit_roles_refuse_the_other_end():
    producer = SharedRingByte(4096)
    assert producer.role is None
    assert producer.as_producer() is producer
    assert producer.role == "producer"
    producer.push_bytes(b"x")
    for read in (lambda: producer.pop_bytes(1), lambda: producer.read(1), producer.get_readable_view):
        with pytest.raises(WRONG_END):
            read()
    with pytest.raises(WRONG_END):
        producer.as_consumer()
    consumer = SharedRingByte(4096).as_consumer()
    with pytest.raises(WRONG_END):
        consumer.push_bytes(b"x")
    with pytest.raises(WRONG_END):
        consumer.get_writable_view()
    lazy = SharedRingByte(4096)
    lazy.push_bytes(b"y")
    assert lazy.role == "producer"
    lazy.pop_bytes(1)
    assert lazy.role == "both"


def test_plain_pickle_is_refused_and_forking_pickler_attaches():
    ring = SharedRingByte(4096)
    with pytest.raises(TypeError):
        pickle.dumps(ring)
    # multiprocessing's pickler passes the fd (here to this same process).
    other = pickle.loads(multiprocessing.reduction.ForkingPickler.dumps(ring))
    assert other.capacity() == ring.capacity()
    ring.as_producer().push_bytes(b"across objects")
    assert other.as_consumer().pop_bytes(100) == b"across objects"
    with pytest.raises(ROLE_TAKEN):
        other_producer = pickle.loads(multiprocessing.reduction.ForkingPickler.dumps(ring))
        other_producer.as_producer()
    ring.close()
    other.close()


def test_named_rings_open_by_name_and_are_the_callers_to_unlink():
    name = unique_name("named")
    before = shm_entries()
    ring = SharedRingByte(4096, name=name)
    assert ring.name == name and name in shm_entries()
    with pytest.raises(FileExistsError):
        SharedRingByte(4096, name=name)
    other = SharedRingByte.open(name)
    assert other.name == name and other.capacity() == ring.capacity()
    ring.push_bytes(b"by name")
    assert other.pop_bytes(100) == b"by name"
    other.close()
    ring.unlink()
    assert_no_new_shm_entries(before)
    with pytest.raises(FileNotFoundError):
        SharedRingByte.open(name)
    ring.push_bytes(b"still mapped")  # unlinking removes the name, not the ring
    assert ring.pop_bytes(100) == b"still mapped"
    ring.close()
    assert SharedRingByte(4096).name is None


@pytest.mark.parametrize(
    "content",
    [b"", b"\0" * 100, b"not a ring" * 1000, random.Random(5).randbytes(1 << 16)],
    ids=["empty", "truncated", "text", "random"],
)
def test_a_file_that_is_not_a_ring_is_refused(content):
    name = unique_name("bad")
    path = Path("/dev/shm") / name
    path.write_bytes(content)
    try:
        with pytest.raises(ValueError):
            SharedRingByte.open(name)
    finally:
        path.unlink()


def test_random_bytes_over_a_header_are_refused():
    name = unique_name("corrupt")
    ring = SharedRingByte(4096, name=name)
    path = Path("/dev/shm") / name
    rng = random.Random(11)
    try:
        with open(path, "r+b") as f:
            for _ in range(200):
                f.seek(0)
                f.write(rng.randbytes(4096))
                f.flush()
                with pytest.raises(ValueError):
                    SharedRingByte.open(name)
    finally:
        ring.unlink()
        # The creator's own mapping holds the same garbage now: it must report, not crash.
        try:
            ring.push_bytes(b"x")
            ring.pop_bytes(1)
        except (ValueError, OSError):
            pass
        ring.close()


def count_fds():
    return len(os.listdir("/proc/self/fd"))


def count_maps():
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def resources():
    """Open descriptors, mappings and /dev/shm entries, once earlier tests' garbage is gone."""
    gc.collect()
    return count_fds(), count_maps(), shm_entries()


def assert_no_more_than(fds, maps, shm):
    """Nothing was left behind (other tests' leftovers may have been freed meanwhile)."""
    now_fds, now_maps, now_shm = resources()
    assert now_fds <= fds and now_maps <= maps and now_shm <= shm, (now_fds, now_maps, now_shm)


def test_create_attach_close_cycles_leak_nothing():
    def cycle(i):
        name = unique_name(f"cycle{i}")
        ring = SharedRingByte(4096, name=name)
        other = SharedRingByte.open(name)
        ring.push_bytes(b"abc")
        assert other.pop_bytes(3) == b"abc"
        ring.unlink()
        other.close()
        ring.close()
        anonymous = SharedRingByte(4096)
        anonymous.close()

    cycle(-1)
    fds, maps, shm = resources()
    for i in range(1000):
        cycle(i)
    assert_no_more_than(fds, maps, shm)


def test_attaching_through_multiprocessing_pickling_leaks_nothing():
    def cycle():
        ring = SharedRingByte(4096)
        other = pickle.loads(multiprocessing.reduction.ForkingPickler.dumps(ring))
        ring.push_bytes(b"abc")
        assert other.pop_bytes(3) == b"abc"
        other.close()
        ring.close()

    cycle()  # starts multiprocessing's fd-passing listener, which stays
    fds, maps, shm = resources()
    for _ in range(200):
        cycle()
    assert_no_more_than(fds, maps, shm)


# Two processes, every start method.


@pytest.mark.parametrize("method", METHODS)
def test_child_producer_parent_consumer(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRingByte(64 * 1024)
    total, seed = 16 << 20, 21
    proc = run(ctx, produce, ring, seed, total, 20_000)
    rng = random.Random(9)
    crc = count = 0
    while True:
        data = ring.read(rng.randint(1, 30_000), timeout=CHILD_TIMEOUT)
        if not data:
            break
        crc = zlib.crc32(data, crc)
        count += len(data)
    join_ok(proc)
    assert count == total and crc == expected_crc(seed, total, 20_000)
    assert ring.is_abandoned()
    ring.close()


@pytest.mark.parametrize("method", METHODS)
def test_parent_producer_child_consumer(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRingByte(64 * 1024)
    results = ctx.Queue()
    total, seed = 16 << 20, 22
    proc = run(ctx, consume_and_report, ring, 50_000, results)
    for piece in chunks(seed, total, 70_000):  # some longer than the ring: written in pieces
        ring.write(piece, timeout=CHILD_TIMEOUT)
    ring.close()  # the end of the stream for the reader
    count, crc, abandoned = results.get(timeout=CHILD_TIMEOUT)
    join_ok(proc)
    assert count == total and crc == expected_crc(seed, total, 70_000) and abandoned


def test_one_gibibyte_in_random_chunks():
    ctx = multiprocessing.get_context("spawn")
    ring = SharedRingByte(1 << 20)
    total, seed = 1 << 30, 23
    proc = run(ctx, produce, ring, seed, total, 300_000)
    crc = count = 0
    rng = random.Random(10)
    while True:
        n = ring.wait_readable(1, timeout=CHILD_TIMEOUT)
        if n == 0:
            break
        n = min(n, rng.randint(1, 1 << 20))
        with ring.get_readable_view() as view:
            crc = zlib.crc32(view[:n], crc)
        ring.advance_tail(n)
        count += n
    join_ok(proc)
    assert count == total and crc == expected_crc(seed, total, 300_000)


@pytest.mark.parametrize("method", METHODS)
def test_a_role_is_claimed_by_one_process_at_a_time(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRingByte(4096)
    ring.as_consumer()
    results = ctx.Queue()
    proc = run(ctx, try_claim, ring, "consumer", results)
    assert results.get(timeout=CHILD_TIMEOUT) == ROLE_TAKEN.__name__
    join_ok(proc)
    proc = run(ctx, try_claim, ring, "producer", results)
    assert results.get(timeout=CHILD_TIMEOUT) == "claimed"
    join_ok(proc)
    # A role given up (the child closed it) can be claimed again.
    proc = run(ctx, try_claim, ring, "producer", results)
    assert results.get(timeout=CHILD_TIMEOUT) == "claimed"
    join_ok(proc)
    ring.close()


@pytest.mark.parametrize("method", METHODS)
def test_a_role_freed_by_a_killed_process_can_be_claimed_again(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRingByte(4096)
    ready, release = ctx.Event(), ctx.Event()
    proc = run(ctx, claim_and_wait, ring, "producer", ready, release)
    assert ready.wait(CHILD_TIMEOUT)
    with pytest.raises(ROLE_TAKEN):
        ring.as_producer()
    proc.kill()
    proc.join()
    assert ring.as_producer() is ring
    ring.close()


def test_fork_child_inherits_no_role():
    ctx = multiprocessing.get_context("fork")
    ring = SharedRingByte(4096)
    ring.write(b"from the parent")  # the parent holds the producer before the fork
    results = ctx.Queue()
    proc = run(ctx, consume_and_report, ring, 100, results)
    time.sleep(0.2)
    ring.close()
    count, crc, abandoned = results.get(timeout=CHILD_TIMEOUT)
    join_ok(proc)
    assert (count, crc, abandoned) == (15, zlib.crc32(b"from the parent"), True)


def read_frames(ring):
    """Reads framed records until end-of-stream; every record must be whole and intact."""
    buf = bytearray()
    seq = 0
    while True:
        data = ring.read(1 << 16, timeout=CHILD_TIMEOUT)
        if not data:
            break
        buf += data
        while len(buf) >= 8:
            n, got_seq = struct.unpack_from("<II", buf)
            if len(buf) < 12 + n:
                break
            (crc,) = struct.unpack_from("<I", buf, 8 + n)
            assert got_seq == seq and crc == zlib.crc32(bytes(buf[: 8 + n]))
            del buf[: 12 + n]
            seq += 1
    assert not buf, f"a torn record of {len(buf)} bytes was visible"
    return seq


@pytest.mark.parametrize("method", METHODS)
def test_killed_producer_leaves_whole_records_then_end_of_stream(method):
    ctx = multiprocessing.get_context(method)
    rng = random.Random(12)
    for _ in range(20 if method == "fork" else 5):
        ring = SharedRingByte(16 * 1024)
        ready = ctx.Event()
        proc = run(ctx, produce_frames_forever, ring, ready)
        # Killed once it holds the role (a producer that never came is waited for, not "gone").
        assert ready.wait(CHILD_TIMEOUT)
        time.sleep(rng.uniform(0.0, 0.05))
        proc.kill()
        proc.join()
        read_frames(ring)  # every record whole, then end-of-stream
        assert ring.is_abandoned()
        assert ring.read(100) == b""
        ring.close()


@pytest.mark.parametrize("method", METHODS)
def test_killed_consumer_makes_write_raise_broken_pipe(method):
    ctx = multiprocessing.get_context(method)
    ring = SharedRingByte(4096)
    ready = ctx.Event()
    proc = run(ctx, read_then_hang, ring, ready)
    ring.write(b"x")
    assert ready.wait(CHILD_TIMEOUT)
    proc.kill()
    proc.join()
    with pytest.raises(BrokenPipeError):
        ring.write(b"y" * (2 * ring.capacity()), timeout=CHILD_TIMEOUT)
    with pytest.raises(BrokenPipeError):
        ring.push_bytes(b"z")
    assert ring.is_abandoned()
    ring.close()


@pytest.mark.parametrize("method", METHODS)
def test_numpy_frames_read_in_place_by_a_child(method):
    np = pytest.importorskip("numpy")
    ctx = multiprocessing.get_context(method)
    ring = SharedRingByte(256 * 1024)
    results = ctx.Queue()
    frames = 1024 * 300
    proc = run(ctx, numpy_consumer, ring, frames, results)
    expected = 0.0
    for i in range(300):
        block = np.empty((1024, 2), dtype=np.float32)
        block[:, 0] = i
        block[:, 1] = np.arange(1024, dtype=np.float32)
        expected += float(block[:, 0].sum()) - float(block[:, 1].sum())
        ring.write(block, timeout=CHILD_TIMEOUT)
    got, total = results.get(timeout=CHILD_TIMEOUT)
    join_ok(proc)
    assert got == frames and total == expected
    ring.close()


# Whole programs: warnings, Ctrl-C, leftovers.


def run_script(tmp_path, source, *args):
    """Runs `source` as a program file (spawn and forkserver children import its functions)."""
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-W", "error", str(script), *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )


def test_programs_using_every_start_method_leave_no_warning_and_no_shm_file(tmp_path):
    before = shm_entries()
    source = """
        import multiprocessing, sys
        from picoring import SharedRingByte

        def child(ring, name):
            other = SharedRingByte.open(name)
            ring.write(other.read(100))
            other.close()

        if __name__ == "__main__":
            for method in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context(method)
                ring = SharedRingByte(4096)
                named = SharedRingByte(4096, name=sys.argv[1] + method)
                named.write(b"hello " + method.encode())
                proc = ctx.Process(target=child, args=(ring, named.name))
                proc.start()
                assert ring.read(100) == b"hello " + method.encode()
                proc.join()
                assert proc.exitcode == 0
                named.unlink()
                named.close()
                # ring is left open: freed at exit, with nothing to clean up
            print("ok")
    """
    out = run_script(tmp_path, source, unique_name("script"))
    assert (out.returncode, out.stdout.strip(), out.stderr) == (0, "ok", "")
    assert_no_new_shm_entries(before)


@pytest.mark.parametrize("victim", ["producer", "consumer"])
def test_killed_processes_leave_no_shm_file(victim):
    before = shm_entries()
    source = """
        import os, sys, time
        from picoring import SharedRingByte
        ring = SharedRingByte(1 << 16)
        if sys.argv[1] == "producer":
            print("ready", flush=True)
            while True:
                ring.write(b"x" * 1000, timeout=60)
                ring.pop_bytes(1000)
        else:
            print("ready", flush=True)
            ring.read(1, timeout=60)
    """
    proc = subprocess.Popen(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(source), victim],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.1)
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert_no_new_shm_entries(before)


@pytest.mark.parametrize("blocked_in", ["read", "write"])
def test_ctrl_c_interrupts_a_blocked_call(blocked_in):
    source = """
        import sys
        from picoring import SharedRingByte
        ring = SharedRingByte(4096)
        if sys.argv[1] == "write":
            ring.write(b"x" * ring.capacity())
        print("ready", flush=True)
        try:
            if sys.argv[1] == "read":
                ring.as_consumer().read(1)
                ring.read(1)
            else:
                ring.write(b"more")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(source), blocked_in],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=CHILD_TIMEOUT)
    assert (proc.returncode, out.strip(), err) == (0, "interrupted", "")


def test_readme_multiprocessing_example_runs_as_a_program(tmp_path):
    readme = Path(__file__).resolve().parents[2] / "README.md"
    blocks = [b.split("```")[0] for b in readme.read_text().split("```python\n")[1:]]
    blocks = [b for b in blocks if "SharedRingByte" in b]
    assert blocks, "the README has no SharedRingByte example"
    source = blocks[0]
    out = run_script(tmp_path, source)
    assert (out.returncode, out.stderr) == (0, "")
