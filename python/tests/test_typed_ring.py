"""PicoRing(typecode, frames, channels): typed frames, one contiguous (frames, channels) view."""

import array
import subprocess
import sys

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from picoring import PicoRing
from conftest import EXPORTS_MESSAGE

np = pytest.importorskip("numpy")


def frames(n, channels=2, start=0, dtype=np.float32):
    return (np.arange(start, start + n * channels) % 100_000).astype(dtype).reshape(n, channels)


def wrap(ring, channels=2):
    """Moves the read position near the physical end of the mapping, so what follows wraps."""
    near_end = ring.capacity() - 3
    ring.push(frames(near_end, channels))
    ring.consume(near_end)


def test_attributes_and_exact_capacity():
    ring = PicoRing("f", 1000, channels=3)
    assert (ring.typecode, ring.itemsize, ring.channels, ring.overwrite) == ("f", 4, 3, False)
    assert ring.capacity() == 1000 and ring.free_len() == 1000 and len(ring) == 0
    assert not ring
    assert "len=0 capacity=1000 channels=3" in repr(ring)


def test_push_pop_two_dimensional_and_interleaved():
    ring = PicoRing("f", 64, channels=2)
    a = frames(10)
    assert ring.push(a) == 10
    assert ring.push(frames(5, start=20).ravel()) == 5  # interleaved 1-D input
    assert len(ring) == 15
    out = ring.pop(10)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (10, 2)
    np.testing.assert_array_equal(out, a)
    out[0, 0] = -1  # the copy is ours
    np.testing.assert_array_equal(ring.pop(), frames(5, start=20))
    assert ring.pop().shape == (0, 2)


def test_one_channel_is_one_dimensional():
    ring = PicoRing("q", 100)
    ring.push(np.arange(7))
    ring.push(array.array("q", [7, 8]))
    assert ring.get_readable_view().shape == (9,)
    assert ring.pop(9).tolist() == list(range(9))


def test_view_is_zero_copy_and_contiguous_across_the_wrap():
    ring = PicoRing("f", 1000, channels=2)
    wrap(ring)
    data = frames(900, start=7)
    ring.push(data)
    view = ring.get_readable_view()
    assert (view.shape, view.format, view.readonly) == ((900, 2), "f", True)
    arr = np.asarray(view)
    assert arr.flags["C_CONTIGUOUS"] and not arr.flags["OWNDATA"]
    np.testing.assert_array_equal(arr, data)
    np.testing.assert_array_equal(np.asarray(ring), data)  # the ring exports the same
    # Appending into free space while the view lives is fine; consuming what it shows is not.
    ring.push(frames(100))
    for refused in (lambda: ring.pop(1), lambda: ring.consume(1), ring.clear, ring.close):
        with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
            refused()
    np.testing.assert_array_equal(arr, data)
    del arr
    view.release()
    ring.consume(900)
    np.testing.assert_array_equal(ring.pop(100), frames(100))


def test_overwrite_keeps_the_latest_frames():
    ring = PicoRing("d", 10, channels=2, overwrite=True)
    ring.push(frames(7, dtype=np.float64))
    ring.push(frames(6, start=100, dtype=np.float64))
    expected = np.concatenate([frames(7, dtype=np.float64), frames(6, start=100, dtype=np.float64)])
    view = ring.get_readable_view()
    np.testing.assert_array_equal(np.asarray(view), expected[-10:])
    # Evicting exported frames is refused, and nothing is written.
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        ring.push(frames(1, dtype=np.float64))
    np.testing.assert_array_equal(np.asarray(view), expected[-10:])
    view.release()
    ring.push(frames(1, start=500, dtype=np.float64))
    assert len(ring) == 10 and ring.pop(10)[-1].tolist() == [500.0, 501.0]
    # Longer than the ring: only its last `capacity` frames are kept.
    ring2 = PicoRing("d", 4, overwrite=True)
    assert ring2.push(np.arange(10.0)) == 4
    assert ring2.pop().tolist() == [6.0, 7.0, 8.0, 9.0]


def test_mismatched_input_writes_nothing():
    ring = PicoRing("f", 16, channels=2)
    ring.push(frames(2))
    bad = [
        (np.zeros((3, 2), np.float64), ValueError),  # wrong format
        (np.zeros((3, 3), np.float32), ValueError),  # wrong channel count
        (np.zeros(3, np.float32), ValueError),  # not whole frames
        (np.zeros((2, 2, 2), np.float32), ValueError),  # three dimensions
        (b"\0" * 8, ValueError),  # bytes are format "B"
        (np.zeros((4, 4), np.float32)[:, :2], BufferError),  # not contiguous
        ([1.0, 2.0], TypeError),  # not a buffer
        (frames(17), ValueError),  # can never fit
    ]
    for data, error in bad:
        with pytest.raises(error):
            ring.push(data, timeout=0)
        assert len(ring) == 2
    with pytest.raises(ValueError):
        ring.pop(17)
    np.testing.assert_array_equal(ring.pop(), frames(2))


def test_bad_constructor_arguments():
    for args in (("f", 0), ("f", -1), ("f", 10, 0), ("x", 10)):
        with pytest.raises(ValueError):
            PicoRing(*args)
    for args in (("f", 2**62, 4), ("f", sys.maxsize)):
        with pytest.raises((OverflowError, MemoryError)):
            PicoRing(*args)
    with pytest.raises(TypeError):
        PicoRing("f", 1.5)
    with pytest.raises(ValueError):
        PicoRing("f", 4).pop(-1)


def test_ring_fed_to_itself():
    ring = PicoRing("i", 8)
    ring.push(np.arange(3, dtype=np.int32))
    ring.push(ring.get_readable_view())
    assert ring.pop().tolist() == [0, 1, 2, 0, 1, 2]


def test_close_and_with():
    with PicoRing("B", 4) as ring:
        ring.push(b"ab")
    assert ring.closed
    with pytest.raises(ValueError):
        ring.pop()
    with pytest.raises(ValueError):
        len(ring)


def test_without_numpy_pop_returns_a_memoryview():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import array, picoring\n"
        "r = picoring.PicoRing('h', 8, channels=2)\n"
        "r.push(array.array('h', [1, 2, 3, 4]))\n"
        "m = r.pop(2)\n"
        "assert isinstance(m, memoryview) and m.shape == (2, 2) and m.format == 'h', m\n"
        "assert m.tolist() == [[1, 2], [3, 4]]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class TypedRingMachine(RuleBasedStateMachine):
    """PicoRing against a numpy model (an array of queued frames)."""

    @initialize(cap=st.integers(1, 3000), channels=st.integers(1, 3), overwrite=st.booleans(),
                code=st.sampled_from("bhfd"))
    def create(self, cap, channels, overwrite, code):
        self.dtype = np.dtype(code)
        self.ring = PicoRing(code, cap, channels=channels, overwrite=overwrite)
        self.cap, self.channels, self.overwrite = cap, channels, overwrite
        self.model = np.zeros((0, channels), self.dtype)
        self.views = []
        self.counter = 0

    def fresh(self, n):
        data = (np.arange(self.counter, self.counter + n * self.channels) % 100).astype(self.dtype)
        self.counter += n * self.channels
        return data.reshape(n, self.channels)

    @rule(n=st.integers(0, 4000), flat=st.booleans())
    def push(self, n, flat):
        data = self.fresh(n)
        arg = data.ravel() if flat else data
        free = self.cap - len(self.model)
        if self.overwrite:
            kept = min(n, self.cap)
            if kept > free and self.views:
                with pytest.raises(BufferError):
                    self.ring.push(arg)
                return
            assert self.ring.push(arg) == kept
            self.model = np.concatenate([self.model, data])[-self.cap:]
        elif n > self.cap:
            with pytest.raises(ValueError):
                self.ring.push(arg)
        elif n > free:
            with pytest.raises(TimeoutError):
                self.ring.push(arg, timeout=0)
        else:
            assert self.ring.push(arg, timeout=0) == n
            self.model = np.concatenate([self.model, data])

    @rule(n=st.integers(0, 3000))
    def pop(self, n):
        if n > self.cap:
            with pytest.raises(ValueError):
                self.ring.pop(n, timeout=0)
        elif n > len(self.model):
            with pytest.raises(TimeoutError):
                self.ring.pop(n, timeout=0)
        elif self.views and n:
            with pytest.raises(BufferError):
                self.ring.pop(n)
        else:
            out = self.ring.pop(n, timeout=0)
            np.testing.assert_array_equal(out.reshape(n, self.channels), self.model[:n])
            self.model = self.model[n:]

    @rule()
    def export(self):
        self.views.append((self.ring.get_readable_view(), self.model.copy()))

    @rule()
    def release(self):
        if self.views:
            view, shown = self.views.pop()
            np.testing.assert_array_equal(np.asarray(view).reshape(-1, self.channels), shown)
            view.release()

    @invariant()
    def same_frames(self):
        assert len(self.ring) == len(self.model)
        assert self.ring.free_len() == self.cap - len(self.model)
        got = np.asarray(self.ring.get_readable_view())
        np.testing.assert_array_equal(got.reshape(-1, self.channels), self.model)

    def teardown(self):
        for view, _ in self.views:
            view.release()


TestTypedRingMachine = TypedRingMachine.TestCase
TestTypedRingMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork()")
@pytest.mark.parametrize("make", [lambda: PicoRing("f", 64, channels=2),
                                  lambda: __import__("picoring").PicoList("d", [1.0])])
def test_forked_child_gets_its_own_copy(make):
    import os

    obj = make()
    before = bytes(obj)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ok = bytes(memoryview(obj)) == before
            obj.close()
            code = 0 if ok and obj.closed else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not obj.closed and bytes(obj) == before  # the parent's copy is untouched


def test_buffer_requests_at_the_c_level():
    import ctypes

    class PyBuffer(ctypes.Structure):
        _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p),
                    ("len", ctypes.c_ssize_t), ("itemsize", ctypes.c_ssize_t),
                    ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
                    ("format", ctypes.c_char_p), ("shape", ctypes.POINTER(ctypes.c_ssize_t)),
                    ("strides", ctypes.POINTER(ctypes.c_ssize_t)),
                    ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]

    get = ctypes.pythonapi.PyObject_GetBuffer
    get.argtypes = [ctypes.py_object, ctypes.POINTER(PyBuffer), ctypes.c_int]
    release = ctypes.pythonapi.PyBuffer_Release
    release.argtypes = [ctypes.POINTER(PyBuffer)]
    simple, nd, fmt, strides, f_contiguous, writable = 0, 0x8, 0x4, 0x18, 0x58, 0x1

    ring = PicoRing("f", 8, channels=2)
    ring.push(frames(3))
    buf = PyBuffer()
    assert get(ring, ctypes.byref(buf), simple) == 0
    assert (buf.len, buf.ndim, bool(buf.shape), buf.format) == (24, 1, False, None)
    release(ctypes.byref(buf))
    assert get(ring, ctypes.byref(buf), nd | fmt) == 0
    assert (buf.ndim, buf.shape[0], buf.shape[1], bool(buf.strides), buf.format) == (2, 3, 2, False, b"f")
    release(ctypes.byref(buf))
    assert get(ring, ctypes.byref(buf), strides) == 0
    assert (buf.strides[0], buf.strides[1]) == (8, 4)
    release(ctypes.byref(buf))
    for refused in (f_contiguous, writable):  # row-major frames; read-only view
        with pytest.raises(BufferError):
            get(ring, ctypes.byref(buf), refused)
    ring.consume(3)  # every export above was given back
