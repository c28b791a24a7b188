"""`append` and the readable views are methods CPython calls directly (no PyO3 machinery), and
`append` reads exact ints and floats on a fast path: both must behave as the built-ins do."""

import array
import enum
import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import picoring

TYPECODES = "bBhHiIlLqQfd"


class Small(enum.IntEnum):
    ONE = 1


class MyInt(int):
    pass


class MyFloat(float):
    pass


# Exact ints of every size (the fast path takes those that fit an i64), ints and floats of
# subclasses and bools (the general path), and things that are not numbers.
VALUES = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 255, 256, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64]),
    st.floats(allow_nan=False),
    st.floats(width=32),
    st.booleans(),
    st.sampled_from([Small.ONE, MyInt(7), MyInt(-1), MyFloat(1.5), 10**400]),
    st.sampled_from(["1", b"1", None, [1], 1j]),
)


def outcome(append, value):
    try:
        append(value)
    except Exception as exc:  # the type is what must match
        return type(exc)
    return None


@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from(TYPECODES), values=st.lists(VALUES, max_size=8))
def test_typed_append_is_array_append(code, values):
    ours, theirs = picoring.PicoList(code), array.array(code)
    for value in values:
        assert outcome(ours.append, value) == outcome(theirs.append, value), (code, value)
    assert list(ours) == list(theirs)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(VALUES, max_size=8))
def test_byte_append_is_bytearray_append(values):
    ours, theirs = picoring.PicoListByte(), bytearray()
    for value in values:
        assert outcome(ours.append, value) == outcome(theirs.append, value), value
    assert bytes(ours) == bytes(theirs)


@pytest.mark.parametrize("cls", [picoring.PicoListByte, lambda: picoring.PicoList("q")])
def test_append_takes_one_positional_argument(cls):
    lst = cls()
    params = list(inspect.signature(type(lst).append).parameters.values())
    assert [p.kind for p in params[1:]] == [inspect.Parameter.POSITIONAL_ONLY]
    with pytest.raises(TypeError):
        lst.append()
    with pytest.raises(TypeError):
        lst.append(1, 2)
    with pytest.raises(TypeError):
        lst.append(value=1)
    with pytest.raises(TypeError):  # the descriptor checks the type of self
        type(lst).append(bytearray(), 1)
    lst.close()
    with pytest.raises(ValueError):
        lst.append(1)


def test_readable_view_is_counted_and_checks_self():
    ring = picoring.PicoRingByte(4096)
    ring.push_bytes(b"abc")
    with ring.get_readable_view() as view:
        assert bytes(view) == b"abc"
        with pytest.raises(BufferError):
            ring.consume(1)
    ring.consume(1)
    assert bytes(ring.get_readable_view()) == b"bc"
    with pytest.raises(TypeError):
        picoring.PicoRingByte.get_readable_view(picoring.PicoQueueByte(4096))
    with pytest.raises(TypeError):
        ring.get_readable_view(1)


def test_append_to_a_viewed_list_keeps_the_view():
    lst = picoring.PicoList("q", [1, 2])
    with memoryview(lst) as view:
        for i in range(10_000):
            lst.append(i)
        assert view.tolist() == [1, 2]
    assert len(lst) == 10_002
