"""PicoList and range(): the list generates a range's numbers itself (no Python int per item),
and must store exactly what array.array stores, bit for bit, or raise the same exception type,
leaving the items array.array leaves (the ones before the failing number)."""

import array

import pytest
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from picoring import PicoList, PicoListByte

TYPECODES = "bBhHiIlLqQfd"

# Where numbers stop fitting: every integer type's limits, float's exact-integer limits, and
# beyond i64/u64/i128 (where the list must fall back or still agree).
EDGES = [0, 1, 2**7, 2**8, 2**15, 2**16, 2**24, 2**31, 2**32, 2**53, 2**62, 2**63, 2**64, 2**127, 2**128]
near_edge = st.builds(
    lambda edge, sign, delta: sign * edge + delta,
    st.sampled_from(EDGES),
    st.sampled_from([1, -1]),
    st.integers(-3, 3),
)
integers = st.one_of(near_edge, st.integers(-300, 300), st.integers(-(2**130), 2**130))
steps = st.one_of(
    near_edge, st.integers(-5, 5), st.integers(-(2**130), 2**130), st.sampled_from([2**62, -(2**62)])
).filter(bool)

# More items than this that all fit would make array.array build a huge array: such ranges are
# left out (the list's own answer for them is tested below with a small reservation).
MAX_STORED = 5000


@st.composite
def ranges(draw):
    start = draw(integers)
    step = draw(steps)
    if draw(st.booleans()):
        stop = draw(integers)
    else:  # a short range ending near a chosen count of items
        stop = start + step * draw(st.integers(0, 70)) + draw(st.integers(-2, 2))
    return range(start, stop, step)


def fits(code, value):
    try:
        array.array(code, [value])
    except OverflowError:
        return False
    return True


def stores_too_much(code, r):
    """Whether array.array would store more than MAX_STORED numbers of `r` (a range's fitting
    numbers are a prefix, so checking its first and MAX_STORED-th is enough)."""
    return len(r[: MAX_STORED + 1]) > MAX_STORED and fits(code, r[0]) and fits(code, r[MAX_STORED])


def outcome(make):
    """What a call leaves: (exception type or None, the items' bytes)."""
    try:
        obj = make()
    except Exception as exc:  # compared by type with array.array's
        return type(exc), None
    return None, bytes(obj)


def extended(factory, code, before, data):
    """(exception type or None, bytes) after `factory(code, before).extend(data)`."""
    obj = factory(code, before)
    try:
        obj.extend(data)
        exc = None
    except Exception as error:
        exc = type(error)
    return exc, bytes(obj)


REPRODUCERS = [
    ("d", range(0, 2**64, 2**62)),  # stored negative numbers
    ("q", range(-10, 3 * 2**62, 2**62)),  # wrapped instead of OverflowError
    ("Q", range(0, 2**64, 2**62)),  # refused what array('Q') takes
    ("f", range(2**60 + 2**36 + 1, 2**61, 2**59)),  # rounded once instead of through a double
    ("b", range(120, 140)),  # the items before the failing one stay appended
    ("B", range(3, -5, -1)),
    ("q", range(2**200, 2**201, 2**199)),  # beyond i128: the item-by-item path
    ("b", range(0, 2**70)),  # too long for len(): the item-by-item path, which fails at 128
]


@pytest.mark.parametrize(("code", "r"), REPRODUCERS)
def test_range_reproducers_match_array(code, r):
    assert extended(PicoList, code, [1], r) == extended(array.array, code, [1], r)
    assert outcome(lambda: PicoList(code, r)) == outcome(lambda: array.array(code, r))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(code=st.sampled_from(TYPECODES), r=ranges(), before=st.lists(st.integers(0, 100), max_size=3))
@example(code="d", r=range(0, 2**64, 2**62), before=[])
@example(code="q", r=range(-10, 3 * 2**62, 2**62), before=[])
@example(code="Q", r=range(0, 2**64, 2**62), before=[])
@example(code="f", r=range(2**60 + 2**36 + 1, 2**61, 2**59), before=[])
def test_extend_range_matches_array(code, r, before):
    assume(not stores_too_much(code, r))
    expected = extended(array.array, code, before, r)
    assert extended(PicoList, code, before, r) == expected
    # The same numbers one by one (the iterable path) agree too.
    assert extended(PicoList, code, before, iter(r)) == expected
    assert outcome(lambda: PicoList(code, r)) == outcome(lambda: array.array(code, r))


# 'b' and 'B' hold fewer distinct numbers than the smallest reservation holds items.
@pytest.mark.parametrize("code", "hHiIlLqQfd")
def test_range_beyond_the_reservation_raises_memory_error_and_appends_nothing(code):
    lst = PicoList(code, [1, 2], max_capacity=4096)
    room = lst.max_capacity() - len(lst)
    assert 0 < room < 2**15
    for r in (range(room + 1), range(10**18), range(5, 5 + 2 * room + 1, 2)):
        with pytest.raises(MemoryError):
            lst.extend(r)
        assert lst.tolist() == [1, 2]
    lst.extend(range(room))
    assert len(lst) == lst.max_capacity()
    assert lst.tolist()[2:] == list(range(room))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(r=ranges(), before=st.binary(max_size=3))
def test_byte_list_extend_range_matches_bytearray(r, before):
    # bytearray.extend(iterable) is all or nothing; bytes past 255 are a ValueError. (bytearray
    # first allocates the range's length: MemoryError for an absurd one, before any item.)
    assume(not stores_too_much("B", r) and len(r[: 2**30]) < 2**30)
    assert extended(lambda _, b: PicoListByte(b), None, before, r) == extended(
        lambda _, b: bytearray(b), None, before, r
    )
