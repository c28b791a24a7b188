"""fork(): a child gets a private copy of every ring and view it inherits, like bytearray and numpy.

The child sees the parent's contents at the moment of the fork, may read, write and drop
everything, and neither process sees the other's later writes. Launching a program
(subprocess, which uses vfork/posix_spawn) copies nothing.
"""

import array
import ctypes
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest

import picoring

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")

DATA = b"parent data, wrapped across the physical end"


def run_in_child(body, timeout=60.0):
    """Runs `body()` in a forked child; returns its exit code (0: `body` returned True).

    A child that hangs is killed after `timeout` seconds and reported as -9.
    """
    return wait_child(fork_child(body), timeout)


def fork_child(body):
    """Forks a child that runs `body()` and exits 0 if it returned True; returns the child's pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if body() else 2
        except BaseException:  # noqa: BLE001 - report, never return into pytest in the child
            import traceback

            traceback.print_exc()
            code = 3
        finally:
            os._exit(code)
    return pid


def wait_child(pid, timeout=60.0):
    """The exit code of the child `pid`; one still running after `timeout` seconds is killed (-9)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -9
        time.sleep(0.01)


def wrapped(ring_class, data=DATA):
    """A byte ring holding `data`, wrapped across the physical end."""
    ring = ring_class(1)
    cap = ring.capacity()
    skip = cap - len(data) // 2
    ring.get_writable_view(skip).release()
    ring.commit(skip)
    ring.consume(skip)
    view = ring.get_writable_view(len(data))
    view[:] = data
    view.release()
    ring.commit(len(data))
    assert bytes(ring) == data
    return ring


BYTE_RINGS = [picoring.PicoRingByte, picoring.PicoQueueByte, picoring.PicoByteStreamPy]


@pytest.mark.parametrize("ring_class", BYTE_RINGS)
def test_byte_rings_are_private_copies_in_the_child(ring_class):
    ring = wrapped(ring_class)
    view = memoryview(ring)  # taken before the fork, wrapped across the physical end
    r, w = os.pipe()

    def child():
        ok = bytes(view) == DATA and bytes(ring) == DATA
        os.read(r, 1)  # the parent has written to its ring
        ok = ok and bytes(view) == DATA and bytes(ring) == DATA and len(ring) == len(DATA)
        view.release()
        # Fill the child's copy across the wrap and read it back as one view.
        free = ring.free_len()
        target = ring.get_writable_view(free)
        target[:] = b"c" * free
        target.release()
        ring.commit(free)
        ok = ok and bytes(memoryview(ring)) == DATA + b"c" * free
        ring.clear()
        ok = ok and len(ring) == 0
        ring.close()
        return ok

    pid = fork_child(child)
    view.release()
    ring.push(ord("P"))  # after the fork: the child must not see it
    os.write(w, b"!")
    code = wait_child(pid)
    os.close(r)
    os.close(w)
    assert code == 0
    assert bytes(ring) == DATA + b"P"  # none of the child's writes
    assert not ring.closed


def test_lists_and_typed_rings_are_private_copies_in_the_child():
    lst = picoring.PicoListByte(DATA)
    typed = picoring.PicoList("d", [1.5, 2.5])
    ring = picoring.PicoRing("f", 64, channels=2)
    ring.push(array.array("f", [1, 2, 3, 4]))
    before = (bytes(lst), list(typed), bytes(ring))

    def child():
        ok = (bytes(lst), list(typed), bytes(ring)) == before
        lst.extend(b"child")
        typed.append(9.0)
        ring.clear()
        ok = ok and bytes(lst) == DATA + b"child" and list(typed) == [1.5, 2.5, 9.0]
        for obj in (lst, typed, ring):
            obj.close()
        return ok

    assert run_in_child(child) == 0
    assert (bytes(lst), list(typed), bytes(ring)) == before


def test_numpy_array_taken_before_fork():
    np = pytest.importorskip("numpy")
    ring = wrapped(picoring.PicoRingByte, np.arange(64, dtype=np.float32).tobytes())
    arr = np.frombuffer(ring, dtype=np.float32)  # read-only view of the queued, wrapped bytes
    free = np.frombuffer(ring.get_writable_view(16), dtype=np.float32)  # writable free space

    def child():
        ok = np.array_equal(arr, np.arange(64))
        free[:] = 7.0  # the child's copy of the free space
        return ok and np.array_equal(free, [7.0] * 4)

    assert run_in_child(child) == 0
    assert np.array_equal(arr, np.arange(64))
    assert not np.any(free == 7.0)  # the parent's free space never saw the child's writes


def _sum_of_inherited(_):
    return sum(bytes(_INHERITED))


_INHERITED = None


def test_multiprocessing_fork_pool_uses_inherited_ring():
    global _INHERITED
    _INHERITED = wrapped(picoring.PicoRingByte, bytes(range(256)) * 8)
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            result = pool.map_async(_sum_of_inherited, range(8))
            assert result.get(timeout=120) == [sum(range(256)) * 8] * 8
    finally:
        _INHERITED.close()
        _INHERITED = None


def _fresh_ring_roundtrip(n):
    ring = picoring.PicoRingByte(4096)
    ring.push_bytes(bytes([n]) * 100)
    return ring.pop_bytes(100) == bytes([n]) * 100


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_multiprocessing_spawn_and_forkserver_still_work(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} not available")
    alive = wrapped(picoring.PicoRingByte)  # a live ring in the parent changes nothing
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        assert pool.map_async(_fresh_ring_roundtrip, range(4)).get(timeout=120) == [True] * 4
    assert bytes(alive) == DATA


def _resident_pages(address, length):
    """Pages of [address, address + length) in memory (for a shared mapping: in the page
    cache, whoever faulted them in)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    page = os.sysconf("SC_PAGESIZE")
    vec = ctypes.create_string_buffer((length + page - 1) // page)
    assert libc.mincore(address, length, vec) == 0, os.strerror(ctypes.get_errno())
    return sum(b & 1 for b in vec.raw)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mincore residency: Linux")
def test_subprocess_copies_nothing():
    """The child's copy reads every page of the parent's rings, which brings never-written
    pages of the shared memory into the page cache. After subprocess.run they are still
    absent (no copy was made); after os.fork (the control) they are all there."""
    ring = picoring.PicoRingByte(16 << 20)
    cap = ring.capacity()
    view = ring.get_writable_view(cap)  # all free space, from the physical start
    address = ctypes.addressof((ctypes.c_char * cap).from_buffer(view))
    page = os.sysconf("SC_PAGESIZE")
    assert _resident_pages(address, cap) == 0
    subprocess.run(["true"], check=True)
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert _resident_pages(address, cap) == 0
    assert run_in_child(lambda: True) == 0
    # Nearly all (the kernel may leave a few pages of a big copy out of the page cache).
    assert _resident_pages(address, cap) >= cap // page * 9 // 10
    view.release()
    ring.close()


def test_object_busy_in_another_thread_at_fork_never_hangs_the_child():
    """A thread holding an object's lock at the fork does not exist in the child: using the
    object there works (the lock was free) or raises RuntimeError, and never hangs."""
    stream = picoring.PicoByteStreamPy(64 << 20)
    chunk = b"x" * (32 << 20)  # big copies release the GIL while holding the lock
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            stream.write(chunk)
            stream.read(len(chunk))

    def child():
        try:
            return stream.available_to_read() in (0, len(chunk))
        except RuntimeError as err:
            return "fork" in str(err)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(5):
            assert run_in_child(child, timeout=60) == 0
    finally:
        stop.set()
        worker.join()
    stream.close()


def test_blocking_calls_work_in_the_child_while_the_parent_waits():
    """A parent thread asleep in a blocking read at the fork does not exist in the child: the
    child's own blocking calls on the same stream still wake and complete."""
    stream = picoring.PicoByteStreamPy(4096)
    got = []
    reader = threading.Thread(target=lambda: got.append(stream.read(5, timeout=60)))
    reader.start()
    time.sleep(0.2)  # the reader is asleep on the stream

    def child():
        results = []
        t = threading.Thread(target=lambda: results.append(stream.read(3, timeout=30)))
        t.start()
        time.sleep(0.1)
        stream.write(b"abc")
        t.join(40)
        return results == [b"abc"] and stream.write(b"x") == 1 and stream.read(1) == b"x"

    try:
        assert run_in_child(child) == 0
    finally:
        stream.write(b"hello")
        reader.join(60)
    assert got == [b"hello"]
