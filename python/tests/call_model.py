"""Random call sequences across every picoring class, checked against models, with views held
across calls. One engine, two drivers: the atheris harness (python/fuzz/fuzz_calls.py) feeds it
fuzzer bytes, the hypothesis machine in test_stateful.py feeds it drawn values.

A `World` holds a few objects of any class, each with its model (a bytearray FIFO for the byte
rings, bytearray for PicoListByte, array.array for PicoList, a list of frames for PicoRing) and
the views taken of it: memoryviews, writable views, numpy arrays. Every call is made on the
object and, on a copy, on its model. It must:
- raise only what a built-in would (`ALLOWED`): anything else (SystemError, RuntimeError, a
  Rust panic, AttributeError...) fails at once;
- raise what the model raises, or return what it returns; `BufferError` is also accepted
  where a view of the object is alive, and then nothing may have changed;
- leave contents equal to the model's; a read-only view never changes while held; the
  bytes a list's view shows are the list's; writing through a ring's writable view never
  changes queued bytes; a list's iterator held across calls walks the live list and, once
  exhausted, stays exhausted; `repr` always works.

`python call_model.py SEEDS STEPS` runs it from a plain random source, without either driver.
"""

import array
import math
import operator
import struct
import sys

try:
    import numpy
except ImportError:  # numpy views are left out
    numpy = None

import picoring

ALLOWED = (
    ValueError,
    IndexError,
    TypeError,
    BufferError,
    OverflowError,
    MemoryError,
    TimeoutError,
    EOFError,
    KeyError,
    # Iterating a multi-dimensional memoryview (extend with one) raises it, built-ins included.
    NotImplementedError,
)
TYPECODES = "bBhHiIlLqQfd"
MAX_OBJECTS = 4


class Divergence(AssertionError):
    """The object did something its model (or a built-in) would not."""


class Source:
    """Where the choices come from (fuzzer bytes or hypothesis draws)."""

    def int(self, lo, hi):
        raise NotImplementedError

    def bytes(self, max_len):
        raise NotImplementedError

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def bool(self):
        return self.int(0, 1) == 1

    def count(self, hi):
        """A count, mostly small, sometimes negative or past `hi`."""
        kind = self.int(0, 9)
        if kind == 0:
            return self.int(-3, -1)
        if kind == 1:
            return self.pick([hi + 1, hi + 7, 2**31, 2**63 - 1, 2**64])
        return self.int(0, max(hi, 0))


def run(call):
    """("ok", result) or ("err", exception type); an exception no built-in would raise fails."""
    try:
        return "ok", call()
    except ALLOWED as error:
        return "err", type(error)
    except StopIteration:
        return "err", StopIteration
    except BaseException as error:  # a Rust panic is a BaseException
        if isinstance(error, (KeyboardInterrupt, Divergence)):
            raise
        raise Divergence(f"raised {type(error).__name__}: {error}") from error


def same(a, b):
    """Equal, with NaN equal to NaN (the models hold the same bits)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


class View:
    """A view held across calls: `obj` is the memoryview or numpy array, `seen` the bytes it
    showed when taken (a ring's read-only views must keep showing them), `writable` for a
    ring's view of free space (`base`: the ring's write position when it was taken)."""

    def __init__(self, obj, seen, writable=False):
        self.obj, self.seen, self.writable = obj, seen, writable
        self.base = 0

    def tobytes(self):
        return self.obj.tobytes()

    def release(self):
        if isinstance(self.obj, memoryview):
            self.obj.release()
        self.obj = None


class Handle:
    """One object, its model and its views."""

    name = "?"

    def __init__(self, obj, model):
        self.obj, self.model = obj, model
        self.views = []
        self.closed = False

    # -- the model's contents as bytes, and the object's
    def model_bytes(self):
        raise NotImplementedError

    def check(self):
        if self.closed:
            return
        actual = bytes(self.obj)
        expected = self.model_bytes()
        if actual != expected:
            raise Divergence(f"{self.name}: contents {actual[:64]!r}... != model {expected[:64]!r}...")
        if len(self.obj) != self.model_len():
            raise Divergence(f"{self.name}: len {len(self.obj)} != model {self.model_len()}")

    def model_len(self):
        raise NotImplementedError

    def refusable(self, what):
        """Whether `what` may be refused with BufferError now (a view it would disturb is alive)."""
        return bool(self.views)

    def call(self, what, on_obj, on_model, compare=same):
        """Runs `on_obj(obj)` and `on_model(copy of the model)`; checks they agree and keeps the
        model's copy unless the object refused with BufferError while a view is alive."""
        if self.closed:
            # ValueError, or what the arguments alone are refused with (checked first).
            kind, result = run(lambda: on_obj(self.obj))
            refused = run(lambda: on_model(self.copy_model()))
            if (kind, result) != ("err", ValueError) and (kind, result) != refused:
                raise Divergence(f"{self.name}.{what} on a closed object gave {kind} {result!r}")
            return kind, result
        model = self.copy_model()
        expected = run(lambda: on_model(model))
        actual = run(lambda: on_obj(self.obj))
        if actual == ("err", BufferError) and expected != actual and self.refusable(what):
            self.check()  # refused: nothing changed
            return actual
        if actual[0] != expected[0] or (actual[0] == "err" and actual[1] is not expected[1]):
            raise Divergence(f"{self.name}.{what}: got {actual!r}, the model {expected!r}")
        if actual[0] == "ok" and not compare(actual[1], expected[1]):
            raise Divergence(f"{self.name}.{what}: returned {actual[1]!r}, the model {expected[1]!r}")
        self.model = model
        self.check()
        return actual

    def copy_model(self):
        raise NotImplementedError

    def take_view(self, src):
        raise NotImplementedError

    def ops(self):
        """(name, function(src)) for each operation this class offers."""
        raise NotImplementedError

    def check_views(self):
        for view in self.views:
            if view.writable:
                continue
            if view.tobytes() != view.seen:
                raise Divergence(f"{self.name}: a read-only view changed while held")

    def release_all(self):
        for view in self.views:
            view.release()
        self.views.clear()

    def readonly_view(self, make):
        kind, obj = run(make)
        if kind == "ok":
            self.views.append(View(obj, self.model_bytes()))
        elif obj is not BufferError or not self.views:
            raise Divergence(f"{self.name}: taking a view raised {obj.__name__}")


def buffer_format(data):
    """The struct format of a buffer, None for anything else."""
    if isinstance(data, (bytes, bytearray)):
        return "B"
    try:
        with memoryview(data) as view:
            return view.format if view.c_contiguous else None
    except TypeError:
        return None


_KINDS = {c: ("i" if c.islower() else "u") for c in "bBhHiIlLqQ"} | {"f": "f", "d": "f"}


def same_kind(fmt, code):
    """Whether a buffer of struct format `fmt` holds exactly typecode `code`'s numbers."""
    if fmt is None:
        return False
    native = True
    if fmt[:1] in "@=<>!" and len(fmt) == 2:
        native = fmt[0] == "@"
        if fmt[0] in ">!" or (fmt[0] == "<" and sys.byteorder != "little"):
            return False
        fmt = fmt[1:]
    if len(fmt) != 1 or fmt not in _KINDS:
        return False
    size = struct.calcsize(("@" if native else "=") + fmt)
    return (_KINDS[fmt], size) == (_KINDS[code], array.array(code).itemsize)


def numpy_bytes_view(obj):
    return numpy.frombuffer(obj, dtype=numpy.uint8)


def data_arg(world, src, max_len):
    """Bytes-like data for a push or extend: fresh bytes, a live view of any object, or any
    object itself (this one included: fed to itself). Returns (argument, the bytes it holds
    now)."""
    others = [v for h in world.handles for v in h.views if v.obj is not None]
    if others and src.int(0, 3) == 0:
        view = src.pick(others)
        return view.obj, view.tobytes()
    objects = [h.obj for h in world.handles if not h.closed]
    if objects and src.int(0, 5) == 0:
        obj = src.pick(objects)
        return obj, bytes(obj)
    kind = src.int(0, 3)
    data = src.bytes(max_len)
    if kind == 0:
        return bytearray(data), data
    if kind == 1:
        return memoryview(data), data
    return data, data


# ---------------------------------------------------------------- byte rings


class RingModel:
    """A byte ring's documented behaviour, down to its memory: `mem` is the ring's `cap` bytes
    (a fresh ring is zeroed), positions count bytes ever written and consumed, the bytes
    between them are queued, and `granted` is what the last writable view lets `commit`
    publish."""

    def __init__(self, cap):
        self.cap, self.mem = cap, bytearray(cap)
        self.consumed = self.written = self.granted = 0

    def copy(self):
        other = RingModel(self.cap)
        other.mem = bytearray(self.mem)
        other.consumed, other.written, other.granted = self.consumed, self.written, self.granted
        return other

    def span(self, start, n):
        """The `n` bytes of memory from absolute position `start`."""
        at = start % self.cap
        return bytes((self.mem + self.mem)[at : at + n])

    @property
    def q(self):
        return self.span(self.consumed, self.written - self.consumed)

    def free(self):
        return self.cap - (self.written - self.consumed)

    def store(self, data):
        for byte in data:
            self.mem[self.written % self.cap] = byte
            self.written += 1
        self.granted = 0

    @staticmethod
    def nonneg(n):
        if n < 0:
            raise ValueError(n)
        if n >= 2**63:
            raise OverflowError(n)
        return n

    def push(self, value):
        bytearray([value])  # bytearray's checks: ValueError outside range(0, 256)
        if not self.free():
            return False
        self.store([value])
        return True

    def pop(self):
        if self.written == self.consumed:
            return None
        self.consumed += 1
        return self.mem[(self.consumed - 1) % self.cap]

    def push_all(self, data):
        if len(data) > self.free():
            return False
        self.store(data)
        return True

    def push_some(self, data):
        n = min(len(data), self.free())
        self.store(data[:n])
        return n

    def pop_bytes(self, n):
        n = min(self.nonneg(n), self.written - self.consumed)
        out = self.span(self.consumed, n)
        self.consumed += n
        return out

    def consume(self, n):
        n = self.nonneg(n)
        if n > self.written - self.consumed:
            raise ValueError(n)
        self.consumed += n

    def commit(self, n):
        n = self.nonneg(n)
        if n > self.granted:
            raise ValueError(n)
        self.written += n
        self.granted = 0

    def clear(self):
        # Refused while any view is alive; the ring starts again at the start of its memory.
        self.consumed = self.written = 0
        self.granted = 0

    def read_until(self, delim):
        if not 0 <= delim < 256:
            raise ValueError(delim)
        i = self.q.find(bytes([delim]))
        if i < 0:
            return None
        return self.pop_bytes(i + 1)


class RingHandle(Handle):
    def __init__(self, cls, capacity):
        obj = cls(capacity)
        super().__init__(obj, RingModel(obj.capacity()))
        self.cls = cls
        self.name = cls.__name__
        if obj.capacity() < capacity:
            raise Divergence(f"{self.name}({capacity}).capacity() = {obj.capacity()}")

    def copy_model(self):
        return self.model.copy()

    def model_bytes(self):
        return bytes(self.model.q)

    def model_len(self):
        return len(self.model.q)

    def refusable(self, what):
        # Pushing is refused only while a writable view (of the free space) is alive.
        if what in ("push", "push_bytes", "push_bulk", "write"):
            return any(v.writable for v in self.views)
        return bool(self.views)

    def check(self):
        super().check()
        if not self.closed and self.obj.free_len() != self.model.free():
            raise Divergence(f"{self.name}: free_len {self.obj.free_len()} != {self.model.free()}")

    def writable_view(self, src):
        n = None if src.bool() else src.count(self.model.cap)
        kind, view = run(lambda: self.obj.get_writable_view(n))
        if self.closed:
            huge = n is not None and n >= 2**63
            if (kind, view) != ("err", ValueError) and (kind, view, huge) != ("err", OverflowError, True):
                raise Divergence(f"{self.name}.get_writable_view on a closed object: {kind} {view}")
            return
        if kind == "err":
            refused = {ValueError} if n is not None and n < 0 else {OverflowError} if n and n >= 2**63 else set()
            if view not in refused and not (view is BufferError and self.views):
                raise Divergence(f"{self.name}.get_writable_view({n}) raised {view.__name__}")
            return
        m = self.model
        want = m.free() if n is None else min(n, m.free())
        if len(view) != want or view.readonly:
            raise Divergence(f"{self.name}.get_writable_view({n}): {len(view)} bytes, want {want}")
        if view.tobytes() != m.span(m.written, want):
            raise Divergence(f"{self.name}.get_writable_view: shows bytes other than the free space's")
        held = View(view, b"", writable=True)
        held.base = m.written
        m.granted = want
        self.views.append(held)

    def write_through(self, src):
        """Writes random bytes into a held writable view. Where the view's bytes have become
        queued ones (a commit or push since it was taken) the write must be refused: no view
        may overwrite queued bytes."""
        writable = [v for v in self.views if v.writable and len(v.obj)]
        if not writable:
            return
        view = src.pick(writable)
        start = src.int(0, len(view.obj) - 1)
        data = src.bytes(len(view.obj) - start)
        m = self.model
        kind, result = run(lambda: view.obj.__setitem__(slice(start, start + len(data)), data))
        # The byte at absolute position p is queued if its place in the current lap is.
        hits_queued = any(
            m.consumed + (p - m.consumed) % m.cap < m.written
            for p in range(view.base + start, view.base + start + len(data))
        )
        if kind == "err":
            self.check()  # refused: nothing changed
            return
        if hits_queued:
            raise Divergence(
                f"{self.name}: a writable view taken before a commit or push overwrote queued "
                "bytes (no view may write bytes that are queued)"
            )
        for k, byte in enumerate(data):
            m.mem[(view.base + start + k) % m.cap] = byte
        self.check()

    def take_view(self, src):
        if self.closed:
            return
        makers = [lambda: memoryview(self.obj)]
        if self.cls is picoring.PicoRingByte:
            makers.append(self.obj.get_readable_view)
        if self.cls is picoring.PicoQueueByte:
            makers.append(self.obj.get_view)
        if self.cls is picoring.PicoByteStreamPy:
            makers.append(self.obj.peek)
        if numpy is not None:
            makers.append(lambda: numpy_bytes_view(self.obj))
        self.readonly_view(src.pick(makers))

    def ops(self):
        cls = self.cls
        ops = [
            ("push", self.op_push),
            ("pop", lambda src: self.call("pop", lambda o: o.pop(), lambda m: m.pop())),
            ("consume", self.op_consume),
            ("commit", self.op_commit),
            ("readinto", self.op_readinto),
            ("clear", lambda src: self.call("clear", lambda o: o.clear(), lambda m: m.clear())),
            ("writable_view", self.writable_view),
            ("write_through", self.write_through),
            ("push_data", self.op_push_data),
            ("pop_data", self.op_pop_data),
        ]
        if cls is picoring.PicoByteStreamPy:
            ops.append(("read_until", self.op_read_until))
        return ops

    def op_push(self, src):
        value = src.pick([src.int(0, 255), src.int(-2, 300), 2**64])
        self.call("push", lambda o: o.push(value), lambda m: m.push(value))

    def op_consume(self, src):
        n = src.count(len(self.model.q))
        name = "advance_tail" if self.cls is picoring.PicoRingByte and src.bool() else "consume"
        self.call(name, lambda o: getattr(o, name)(n), lambda m: m.consume(n))

    def op_commit(self, src):
        n = src.count(self.model.granted)
        name = "advance_head" if self.cls is picoring.PicoRingByte and src.bool() else "commit"
        self.call(name, lambda o: getattr(o, name)(n), lambda m: m.commit(n))

    def op_readinto(self, src):
        targets = [
            (h, v)
            for h in self.world.handles
            if isinstance(h, ListHandle) and not h.closed
            for v in h.views
            if isinstance(v.obj, memoryview)
        ]
        if targets and src.int(0, 2) == 0:
            self.readinto_list(*src.pick(targets))
            return
        size = src.int(0, self.model.cap + 3)

        def model(m):
            out = m.pop_bytes(size)
            return len(out), out

        def obj(o):
            buf = bytearray(size)
            n = o.readinto(buf)
            return n, bytes(buf[:n])

        self.call("readinto", obj, model)

    def readinto_list(self, target, view):
        """readinto() a list's live memoryview: the list's first bytes become the popped ones."""
        popped = self.model.q[: view.obj.nbytes]
        kind, n = self.call("readinto", lambda o: o.readinto(view.obj), lambda m: len(m.pop_bytes(view.obj.nbytes)))
        if kind == "ok":
            data = bytearray(target.model_bytes())
            data[:n] = popped
            target.model = bytearray(data) if target.code is None else array.array(target.code, bytes(data))
            target.check()

    def op_push_data(self, src):
        data, now = data_arg(self.world, src, self.model.cap + 8)
        if self.cls is picoring.PicoByteStreamPy:
            self.call("write", lambda o: o.write(data), lambda m: m.push_some(now))
        else:
            name = "push_bytes" if self.cls is picoring.PicoRingByte else "push_bulk"
            self.call(name, lambda o: getattr(o, name)(data), lambda m: m.push_all(now))

    def op_pop_data(self, src):
        n = src.count(len(self.model.q))
        name = {
            picoring.PicoRingByte: "pop_bytes",
            picoring.PicoQueueByte: "pop_bulk",
            picoring.PicoByteStreamPy: "read",
        }[self.cls]
        self.call(name, lambda o: bytes(getattr(o, name)(n)), lambda m: m.pop_bytes(n))

    def op_read_until(self, src):
        delim = src.pick([10, 0, src.int(0, 255), src.int(-1, 256)])
        if delim == 10 and src.bool():
            self.call("next_line", lambda o: o.next_line(), lambda m: m.read_until(10))
        else:
            self.call("read_until", lambda o: o.read_until(delim), lambda m: m.read_until(delim))


# ---------------------------------------------------------------- lists


class ListHandle(Handle):
    """PicoListByte against bytearray, PicoList against array.array: every call is made on both."""

    def __init__(self, code, initial):
        if code is None:
            obj, model = picoring.PicoListByte(initial), bytearray(initial)
            self.name = "PicoListByte"
        else:
            obj, model = picoring.PicoList(code, initial), array.array(code, initial)
            if bytes(obj) != bytes(model):
                raise Divergence(f"PicoList({code!r}, {initial!r}) holds other bytes than array.array")
            self.name = f"PicoList({code!r})"
        super().__init__(obj, model)
        self.code = code

    def refusable(self, what):
        # Lists grow in place while exported: only moving or freeing items can be refused.
        return what in ("pop", "insert", "clear", "setslice") and bool(self.views)

    def copy_model(self):
        if self.code is None:
            return bytearray(self.model)
        copy = array.array(self.code)
        copy.frombytes(self.model.tobytes())  # bit for bit, NaN payloads included
        return copy

    def model_bytes(self):
        return bytes(self.model)

    def model_len(self):
        return len(self.model)

    def check_views(self):
        # A list's views are writable and live: they show the list's current first bytes.
        for view in self.views:
            now = view.tobytes()
            if now != self.model_bytes()[: len(now)] or len(now) != len(view.seen):
                raise Divergence(f"{self.name}: a view shows bytes the list does not hold")

    def take_view(self, src):
        if self.closed:
            return
        makers = [lambda: memoryview(self.obj)]
        if numpy is not None:
            makers.append(lambda: numpy_bytes_view(self.obj))
            makers.append(lambda: numpy.asarray(self.obj))
        self.readonly_view(src.pick(makers))

    def value(self, src):
        """A value for an item: in range, out of range, or of a wrong type."""
        kind = src.int(0, 9)
        if kind == 0:
            return src.pick([2**63, -(2**63) - 1, 2**64, -1, 256, 1e300, math.inf, math.nan])
        if kind == 1:
            return src.pick(["a", b"a", None, 1.5, 2.0, -0.0])
        if self.code in (None, "B"):
            return src.int(0, 255)
        if self.code in "fd":
            return src.int(-(2**20), 2**20) / 8
        size = array.array(self.code).itemsize * 8
        if self.code.isupper():
            return src.int(0, 2**size - 1)
        return src.int(-(2 ** (size - 1)), 2 ** (size - 1) - 1)

    def items_arg(self, src):
        """An iterable or buffer for extend: values, a range, an array, bytes, a live view."""
        kind = src.int(0, 4)
        if kind == 0:
            return [self.value(src) for _ in range(src.int(0, 8))]
        if kind == 1:
            edges = [0, 1, 127, 128, 255, 256, 2**15, 2**31, 2**32, 2**63, 2**64]
            start = src.pick(edges) * src.pick([1, -1]) + src.int(-3, 3)
            step = src.pick([1, -1, 2, 2**62, -(2**62), 2**31 + 1])
            return range(start, start + step * src.int(0, 12) + src.int(-1, 1), step)
        if kind == 2:
            items = array.array(src.pick(TYPECODES) if self.code is None or src.bool() else self.code)
            for _ in range(src.int(0, 8)):
                try:
                    items.append(self.value(src))
                except (OverflowError, TypeError):
                    pass
            return items
        return data_arg(self.world, src, 64)[0]

    def extend_model(self, m, data):
        """What the built-in does with `data`; a PicoList takes a buffer of its own format as
        bytes (one copy), which array.array does only for an array.array."""
        if isinstance(data, array.array):
            m.extend(data)  # only of the same typecode
        elif isinstance(data, picoring.PicoList) and self.code not in (None, data.typecode):
            raise TypeError("a PicoList extends only with a PicoList of its typecode, as array.array")
        elif self.code is not None and same_kind(buffer_format(data), self.code):
            m.frombytes(memoryview(data).tobytes())  # any shape, C-contiguous
        else:
            m.extend(data)

    def ops(self):
        ops = [
            ("append", self.op_append),
            ("extend", self.op_extend),
            ("pop", self.op_pop),
            ("getitem", self.op_getitem),
            ("setitem", self.op_setitem),
            ("getslice", self.op_getslice),
            ("setslice", self.op_setslice),
            ("get_set", self.op_get_set),
            ("iterate", self.op_iterate),
            ("equal", self.op_equal),
            ("clear", lambda src: self.call("clear", lambda o: o.clear(), lambda m: m.__delitem__(slice(None)))),
            ("write_through", self.op_write_through),
        ]
        if self.code is not None:
            ops.append(("insert", self.op_insert))
        ops.append(("iterator", self.op_iterator))
        return ops

    def op_iterator(self, src):
        """Takes an iterator, or advances a held one. As with bytearray and array.array, an
        iterator walks the live list by index, and once exhausted stays exhausted."""
        if not hasattr(self, "iterators"):
            self.iterators = []  # [iterator, next index or None once exhausted]
        if not self.iterators or src.int(0, 3) == 0:
            kind, it = run(lambda: iter(self.obj))
            if kind == "ok":
                self.iterators.append([it, 0])
            elif not self.closed or it is not ValueError:
                raise Divergence(f"{self.name}: iter() raised {it.__name__}")
            return
        held = src.pick(self.iterators)
        kind, result = run(lambda: next(held[0]))
        if held[1] is not None and held[1] < len(self.model) and not self.closed:
            expected = ("ok", self.model[held[1]])
            held[1] += 1
        else:
            expected = ("err", StopIteration)
            held[1] = None
        if kind == "err" and self.closed and result is ValueError:
            return
        if (kind, result) != expected and not (kind == "ok" and same(result, expected[1])):
            raise Divergence(f"{self.name}: a held iterator gave {kind} {result!r}, expected {expected!r}")

    def op_append(self, src):
        v = self.value(src)
        self.call("append", lambda o: o.append(v), lambda m: m.append(v))

    def op_extend(self, src):
        data = self.items_arg(src)
        self.call("extend", lambda o: o.extend(data), lambda m: self.extend_model(m, data))

    def op_pop(self, src):
        i = src.pick([-1, src.int(-10, 10), 2**63])
        if i == -1 and src.bool():
            self.call("pop", lambda o: o.pop(), lambda m: m.pop())
        else:
            self.call("pop", lambda o: o.pop(i), lambda m: self.pop_model(m, i))

    def pop_model(self, m, i):
        return m.pop(i)

    def op_insert(self, src):
        i, v = src.int(-10, 10), self.value(src)
        self.call("insert", lambda o: o.insert(i, v), lambda m: m.insert(i, v))

    def op_getitem(self, src):
        i = src.pick([src.int(-10, 10), -1, 0])
        self.call("getitem", lambda o: o[i], lambda m: m[i])

    def op_setitem(self, src):
        i, v = src.int(-10, 10), self.value(src)

        def model(m):
            m[i] = v  # array.array reports a bad index before a bad value; bytearray the reverse

        def obj(o):
            o[i] = v

        self.call("setitem", obj, model)

    def slice_(self, src):
        bound = lambda: src.pick([None, src.int(-12, 12)])  # noqa: E731
        return slice(bound(), bound(), src.pick([None, 1, 2, -1, -3]))

    def op_getslice(self, src):
        s = self.slice_(src)
        self.call("getslice", lambda o: bytes(o[s]), lambda m: bytes(m[s]))

    def op_setslice(self, src):
        s = self.slice_(src)
        n = len(range(*s.indices(len(self.model))))
        if src.int(0, 3) == 0:
            n += src.pick([-1, 1])
        values = [self.value(src) if src.int(0, 5) == 0 else self.model[0] if self.model else 1 for _ in range(max(n, 0))]

        def model(m):
            # Another length moves the items after a simple slice (an extended one: ValueError).
            m[s] = bytearray(values) if self.code is None else array.array(self.code, values)

        def obj(o):
            o[s] = bytes(bytearray(values)) if self.code is None else array.array(self.code, values)

        self.call("setslice", obj, model)

    def op_get_set(self, src):
        i = src.int(-10, 10)
        if src.bool():
            self.call("get", lambda o: o.get(i), lambda m: m[i] if -len(m) <= i < len(m) else None)
            return
        v = self.value(src)

        def model(m):
            if self.code is None:
                v2 = operator.index(v)  # the same checks as bytearray's
                if not 0 <= v2 < 256:
                    raise ValueError(v2)
            else:
                array.array(self.code, [v])
            if not -len(m) <= i < len(m):
                return False
            m[i] = v
            return True

        self.call("set", lambda o: o.set(i, v), model)

    def op_iterate(self, src):
        self.call("iterate", lambda o: list(o), lambda m: list(m))
        if self.code is not None:
            self.call("tolist", lambda o: o.tolist(), lambda m: m.tolist())

    def op_equal(self, src):
        if self.code is None:
            other = bytes(self.model) if src.bool() else bytes(self.model[:-1])
        else:
            other = array.array(self.code, self.model) if src.bool() else self.model.tolist()[1:]
        # PicoList also equals a list or tuple of equal numbers (documented; array.array does not).
        self.call("equal", lambda o: o == other, lambda m: m == other if not isinstance(other, list) else m.tolist() == other)

    def op_write_through(self, src):
        views = [v for v in self.views if isinstance(v.obj, memoryview) and v.obj.nbytes]
        if not views:
            return
        view = src.pick(views)
        with view.obj.cast("B") as raw:
            start = src.int(0, len(raw) - 1)
            data = src.bytes(len(raw) - start)
            raw[start : start + len(data)] = data
        b = bytearray(self.model_bytes())
        b[start : start + len(data)] = data
        self.model = bytearray(b) if self.code is None else array.array(self.code, bytes(b))
        self.check()


# ---------------------------------------------------------------- typed rings


class FramesModel:
    def __init__(self, cap, channels, itemsize, overwrite):
        self.cap, self.channels, self.overwrite = cap, channels, overwrite
        self.frame_bytes = channels * itemsize
        self.q = bytearray()

    def copy(self):
        other = FramesModel(self.cap, self.channels, 1, self.overwrite)
        other.frame_bytes, other.q = self.frame_bytes, bytearray(self.q)
        return other

    def len(self):
        return len(self.q) // self.frame_bytes

    def push(self, raw):
        n = len(raw) // self.frame_bytes
        if self.overwrite:
            kept = min(n, self.cap)
            raw = raw[(n - kept) * self.frame_bytes :]
            evicted = max(0, kept - (self.cap - self.len()))
            del self.q[: evicted * self.frame_bytes]
            self.q += raw
            return kept
        if n > self.cap:
            raise ValueError(n)
        if n > self.cap - self.len():
            raise TimeoutError(n)
        self.q += raw
        return n

    def pop(self, n):
        if n is None:
            n = self.len()
        n = RingModel.nonneg(n)
        if n > self.cap:
            raise ValueError(n)
        if n > self.len():
            raise TimeoutError(n)
        out = bytes(self.q[: n * self.frame_bytes])
        del self.q[: n * self.frame_bytes]
        return out

    def consume(self, n):
        n = RingModel.nonneg(n)
        if n > self.len():
            raise ValueError(n)
        del self.q[: n * self.frame_bytes]


class FramesHandle(Handle):
    def __init__(self, code, frames, channels, overwrite):
        obj = picoring.PicoRing(code, frames, channels=channels, overwrite=overwrite)
        super().__init__(obj, FramesModel(frames, channels, obj.itemsize, overwrite))
        self.code = code
        self.name = f"PicoRing({code!r}, {frames}, {channels}, overwrite={overwrite})"

    def copy_model(self):
        return self.model.copy()

    def model_bytes(self):
        return bytes(self.model.q)

    def model_len(self):
        return self.model.len()

    def take_view(self, src):
        if self.closed:
            return
        makers = [lambda: memoryview(self.obj), self.obj.get_readable_view]
        if numpy is not None:
            makers.append(lambda: numpy.asarray(self.obj.get_readable_view()))
        self.readonly_view(src.pick(makers))

    def ops(self):
        return [
            ("push", self.op_push),
            ("pop", self.op_pop),
            ("consume", self.op_consume),
            ("clear", lambda src: self.call("clear", lambda o: o.clear(), lambda m: m.q.clear())),
        ]

    def op_push(self, src):
        m = self.model
        n = src.pick([src.int(0, 3), src.int(0, m.cap + 2), m.cap - m.len()])
        items = n * m.channels + (src.pick([-1, 1]) if src.int(0, 7) == 0 else 0)
        items = max(items, 0)
        code = self.code if src.int(0, 7) else src.pick(TYPECODES)
        raw = src.bytes(items * array.array(code).itemsize)
        raw += bytes(items * array.array(code).itemsize - len(raw))
        data = array.array(code)
        data.frombytes(raw)

        def model(mm):
            if code != self.code and array.array(code).itemsize != array.array(self.code).itemsize:
                raise ValueError("format")
            if code != self.code and not (sorted(code + self.code) in (["L", "Q"], ["l", "q"]) and array.array("l").itemsize == 8):
                raise ValueError("format")
            if items % m.channels:
                raise ValueError("shape")
            return mm.push(raw)

        self.call("push", lambda o: o.push(data, timeout=0), model)

    def op_pop(self, src):
        n = None if src.int(0, 3) == 0 else src.count(self.model.cap)
        self.call("pop", lambda o: o.pop(n, timeout=0).tobytes(), lambda m: m.pop(n))

    def op_consume(self, src):
        n = src.count(self.model.len())
        self.call("consume", lambda o: o.consume(n), lambda m: m.consume(n))


# ---------------------------------------------------------------- the world


class World:
    """Up to MAX_OBJECTS objects of any class; `step` makes one random call."""

    def __init__(self):
        self.handles = []

    def create(self, src):
        kind = src.int(0, 6)
        if kind <= 2:
            cls = (picoring.PicoRingByte, picoring.PicoQueueByte, picoring.PicoByteStreamPy)[kind]
            handle = RingHandle(cls, src.pick([1, src.int(1, 64), 4096, 4097, src.int(1, 20000)]))
        elif kind == 3:
            handle = ListHandle(None, src.bytes(40))
        elif kind == 4 or kind == 5:
            handle = ListHandle(src.pick(TYPECODES), [])
            handle.world = self
            handle.op_extend(src)
        else:
            handle = FramesHandle(
                src.pick(TYPECODES), src.pick([1, src.int(1, 40), 1000]), src.int(1, 3), src.bool()
            )
        handle.world = self
        self.handles.append(handle)

    def step(self, src):
        if len(self.handles) < 1 or (len(self.handles) < MAX_OBJECTS and src.int(0, 15) == 0):
            self.create(src)
            return
        handle = src.pick(self.handles)
        if handle.closed and src.bool():
            self.handles.remove(handle)  # checked enough closed: make room for a new object
            return
        what = src.int(0, 19)
        if what == 0:
            handle.take_view(src)
        elif what in (1, 2) and handle.views:
            view = handle.views.pop(src.int(0, len(handle.views) - 1))
            view.release()
        elif what == 3:
            self.close(handle, src)
        elif what == 4:
            kind, text = run(lambda: repr(handle.obj))
            if kind != "ok" or not isinstance(text, str):
                raise Divergence(f"repr({handle.name}) gave {kind} {text!r}")
        else:
            name, op = src.pick(handle.ops())
            op(src)
        self.check()

    def close(self, handle, src):
        kind, result = run(handle.obj.close)
        if handle.closed or not handle.views:
            if kind != "ok":
                raise Divergence(f"{handle.name}.close() raised {result.__name__}")
            handle.closed = True
            if not handle.obj.closed:
                raise Divergence(f"{handle.name}.closed is False after close()")
        elif (kind, result) != ("err", BufferError):
            raise Divergence(f"{handle.name}.close() with a live view gave {kind} {result!r}")

    def check(self):
        for handle in self.handles:
            handle.check()
            handle.check_views()

    def finish(self):
        """Releases every view and closes everything (views first, so close succeeds)."""
        for handle in self.handles:
            handle.release_all()
        for handle in self.handles:
            if not handle.closed:
                handle.obj.close()
        self.handles.clear()



class RandomSource(Source):
    """Choices from `random.Random(seed)`: a quick run without a fuzzer (see `main`)."""

    def __init__(self, seed):
        import random

        self.rng = random.Random(seed)

    def int(self, lo, hi):
        return self.rng.randint(lo, hi)

    def bytes(self, max_len):
        return self.rng.randbytes(self.rng.randint(0, min(max_len, 300)))


def main():
    """`python call_model.py SEEDS STEPS`: that many random sequences; the first failure's seed
    is printed with its traceback."""
    seeds, steps = (int(a) for a in (sys.argv[1:] + ["200", "200"])[:2])
    for seed in range(seeds):
        world = World()
        try:
            for _ in range(steps):
                world.step(RandomSource(seed * 1_000_003 + _))
        except BaseException:
            print(f"seed {seed}")
            raise
        finally:
            world.views = None
            try:
                world.finish()
            except BaseException as error:
                print(f"finish: {error!r}")
    print(f"{seeds} sequences of {steps} calls: no divergence")


if __name__ == "__main__":
    main()
