"""Hypothesis stateful tests: each class against a bytearray model over random operation sequences."""

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import picoring
from conftest import EXPORTS_MESSAGE

chunks = st.binary(max_size=3000)
counts = st.integers(min_value=0, max_value=5000)


class ByteRingMachine(RuleBasedStateMachine):
    """Any byte ring: FIFO semantics, the documented full/empty policy, and the export rules."""

    cls, push_name, pop_name = picoring.PicoRingByte, "push_bytes", "pop_bytes"

    @initialize(capacity=st.integers(min_value=1, max_value=9000))
    def create(self, capacity):
        self.ring = self.cls(capacity)
        self.cap = self.ring.capacity()
        assert self.cap >= capacity
        self.model = bytearray()
        self.views = []  # (memoryview, bytes it showed when taken)

    def all_or_nothing(self):
        return self.push_name != "write"

    @rule(data=chunks)
    def push(self, data):
        stored = getattr(self.ring, self.push_name)(data)
        fits = min(len(data), self.cap - len(self.model))
        if self.all_or_nothing():
            assert stored is (len(data) <= self.cap - len(self.model))
            if stored:
                self.model += data
        else:
            assert stored == fits
            self.model += data[:fits]

    @rule(n=counts)
    def pop(self, n):
        if self.views and self.model and n:
            with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
                getattr(self.ring, self.pop_name)(n)
            return
        assert getattr(self.ring, self.pop_name)(n) == self.model[:n]
        del self.model[:n]

    @rule(value=st.integers(min_value=0, max_value=255))
    def push_one(self, value):
        ok = self.ring.push(value)
        assert ok == (len(self.model) < self.cap)
        if ok:
            self.model.append(value)

    @rule()
    def pop_one(self):
        if self.views and self.model:
            with pytest.raises(BufferError):
                self.ring.pop()
            return
        expected = self.model.pop(0) if self.model else None
        assert self.ring.pop() == expected

    @rule(n=counts)
    def consume(self, n):
        advance = self.ring.consume
        if n > len(self.model):
            with pytest.raises(ValueError):
                advance(n)
        elif self.views and n:
            with pytest.raises(BufferError):
                advance(n)
        else:
            advance(n)
            del self.model[:n]

    @rule(data=chunks, extra=st.integers(min_value=0, max_value=10))
    def receive_in_place(self, data, extra):
        with self.ring.get_writable_view(len(data) + extra) as view:
            n = min(len(data), len(view))
            granted = len(view)
            view[:n] = data[:n]
            with pytest.raises(BufferError):
                self.ring.commit(n)  # not while the view could still write
        with pytest.raises(ValueError):
            self.ring.commit(granted + 1)
        self.ring.commit(n)
        self.model += data[:n]

    @rule()
    def take_view(self):
        view = memoryview(self.ring)
        self.views.append((view, bytes(self.model)))

    @precondition(lambda self: self.views)
    @rule()
    def drop_view(self):
        view, _ = self.views.pop(0)
        view.release()

    @rule()
    def clear(self):
        if self.views:
            with pytest.raises(BufferError):
                self.ring.clear()
        else:
            self.ring.clear()
            self.model.clear()

    @invariant()
    def matches_model(self):
        assert len(self.ring) == len(self.model)
        assert bytes(self.ring) == self.model
        assert self.ring.free_len() == self.cap - len(self.model)
        for view, seen in self.views:
            assert view.tobytes() == seen  # a live view never changes under its reader

    def teardown(self):
        for view, _ in self.views:
            view.release()
        if hasattr(self, "ring"):
            self.ring.close()


class QueueMachine(ByteRingMachine):
    cls, push_name, pop_name = picoring.PicoQueueByte, "push_bulk", "pop_bulk"


class StreamMachine(ByteRingMachine):
    cls, push_name, pop_name = picoring.PicoByteStreamPy, "write", "read"


class ListMachine(RuleBasedStateMachine):
    """PicoListByte against bytearray; it grows while exported and old views stay valid."""

    def __init__(self):
        super().__init__()
        self.lst = picoring.PicoListByte()
        self.model = bytearray()
        self.views = []

    @rule(data=st.binary(max_size=5000))
    def extend(self, data):
        self.lst.extend(data)
        self.model.extend(data)

    @rule(value=st.integers(min_value=0, max_value=255))
    def append(self, value):
        self.lst.append(value)
        self.model.append(value)

    @rule()
    def pop(self):
        if not self.model:
            with pytest.raises(IndexError):
                self.lst.pop()
        elif self.views:
            with pytest.raises(BufferError):
                self.lst.pop()
        else:
            assert self.lst.pop() == self.model.pop()

    @rule(index=st.integers(min_value=-6000, max_value=6000), value=st.integers(min_value=0, max_value=255))
    def set_item(self, index, value):
        if -len(self.model) <= index < len(self.model):
            self.lst[index] = value
            self.model[index] = value
            for i, (view, seen) in enumerate(self.views):
                if len(seen) > index % len(self.model):
                    seen = bytearray(seen)
                    seen[index % len(self.model)] = value
                    self.views[i] = (view, bytes(seen))
        else:
            with pytest.raises(IndexError):
                self.lst[index] = value

    @rule(start=st.integers(-50, 50), stop=st.integers(-50, 50), step=st.sampled_from([1, 2, -1, -3]))
    def slice_(self, start, stop, step):
        assert self.lst[start:stop:step] == self.model[start:stop:step]

    @rule()
    def take_view(self):
        self.views.append((memoryview(self.lst), bytes(self.model)))

    @precondition(lambda self: self.views)
    @rule()
    def drop_view(self):
        self.views.pop().__getitem__(0).release()

    @invariant()
    def matches_model(self):
        assert len(self.lst) == len(self.model)
        assert self.lst == self.model
        for view, seen in self.views:
            assert view.tobytes() == seen

    def teardown(self):
        for view, _ in self.views:
            view.release()
        self.lst.close()


common = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestRingByte = ByteRingMachine.TestCase
TestRingByte.settings = common
TestQueueByte = QueueMachine.TestCase
TestQueueByte.settings = common
TestStream = StreamMachine.TestCase
TestStream.settings = common
TestListByte = ListMachine.TestCase
TestListByte.settings = common


# ---- Every class at once: random call sequences with views held across calls -------------------
# The engine (call_model.py) is shared with the atheris harness (python/fuzz/fuzz_calls.py): up
# to four objects of any class, each checked against its model after every call; views
# (memoryviews, writable views, numpy arrays) of any of them are held across calls, written
# through, and fed to the others (and to themselves) as data.

import call_model  # noqa: E402


class DrawSource(call_model.Source):
    def __init__(self, data):
        self.data = data

    def int(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))

    def bytes(self, max_len):
        return self.data.draw(st.binary(max_size=min(max_len, 300)))


class CallSequenceMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.world = call_model.World()

    @rule(data=st.data())
    def call(self, data):
        self.world.step(DrawSource(data))

    def teardown(self):
        self.world.finish()


TestCallSequences = CallSequenceMachine.TestCase
TestCallSequences.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
