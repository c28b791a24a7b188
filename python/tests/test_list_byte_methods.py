"""PicoListByte's bytes methods against bytearray's, as a model: same results, same result types,
same exception types, for random contents and arguments (CPython's own suite runs too, in
python/compat/run_suites.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import picoring

# A small alphabet makes matches, case changes and whitespace runs likely.
ALPHABET = b"aAbB zZ09-_.\t\n\x0b\x0c\x00\xff"
contents = st.lists(st.sampled_from(ALPHABET), max_size=24).map(bytes)
needles = st.one_of(st.lists(st.sampled_from(b"aAb "), max_size=3).map(bytes), st.integers(-2, 257))
bounds = st.one_of(st.none(), st.integers(-30, 30))
prefixes = st.one_of(needles.filter(lambda n: isinstance(n, bytes)), st.tuples(contents, contents))

CALLS = st.one_of(
    st.tuples(st.sampled_from(["find", "rfind", "index", "rindex", "count"]), st.tuples(needles, bounds, bounds)),
    st.tuples(st.sampled_from(["startswith", "endswith"]), st.tuples(prefixes, bounds, bounds)),
    st.tuples(st.sampled_from(["strip", "lstrip", "rstrip"]), st.tuples(st.one_of(st.none(), contents))),
    st.tuples(
        st.sampled_from(
            ["upper", "lower", "swapcase", "title", "capitalize", "isalnum", "isalpha", "isascii",
             "isdigit", "islower", "isupper", "isspace", "istitle", "hex", "split", "rsplit",
             "splitlines", "expandtabs", "decode"]
        ),
        st.just(()),
    ),
    st.tuples(st.sampled_from(["partition", "rpartition", "split", "removeprefix", "removesuffix"]), st.tuples(contents.filter(bool))),
    st.tuples(st.just("replace"), st.tuples(contents, contents)),
    st.tuples(
        st.sampled_from(["split", "rsplit"]),
        st.tuples(st.one_of(st.none(), st.sampled_from([b" ", b"a", b"aA", b"", 32, " "])), st.integers(-2, 4)),
    ),
    st.tuples(st.sampled_from(["center", "ljust", "rjust"]), st.tuples(st.integers(-1, 30), st.sampled_from([b"*", b"ab"]))),
    st.tuples(st.just("hex"), st.tuples(st.sampled_from([":", b"-", "", "xx"]), st.integers(-4, 4))),
    st.tuples(st.just("translate"), st.tuples(st.sampled_from([None, bytes(range(255, -1, -1))]), contents)),
)


def outcome(obj: Any, name: str, args: tuple[Any, ...]) -> tuple[Any, type]:
    """The result (as bytes where it is a byte sequence) and its type, or the exception type."""
    try:
        result = getattr(obj, name)(*args)
    except Exception as exc:  # the type is what is compared
        return None, type(exc)
    if isinstance(result, (list, tuple)):
        return [bytes(r) for r in result], type(result[0]) if result else type(result)
    if isinstance(result, (bytearray, picoring.PicoListByte)):
        return bytes(result), type(result)
    return result, type(result)


@settings(max_examples=800, deadline=None)
@given(contents, CALLS)
def test_methods_match_bytearray(data: bytes, call: tuple[str, tuple[Any, ...]]) -> None:
    name, args = call
    expected, expected_type = outcome(bytearray(data), name, args)
    got, got_type = outcome(picoring.PicoListByte(data), name, args)
    assert got == expected
    # translate returns a new PicoListByte where bytearray's returns a bytearray.
    if expected_type is bytearray and name == "translate":
        expected_type = picoring.PicoListByte
    assert got_type is expected_type


@pytest.mark.parametrize(
    "args",
    [(), (0,), (5,), (b"ab",), ([1, 2],), (range(3),), ("ab", "ascii"), ("\xe9", "latin-1", "strict")],
)
def test_constructor_matches_bytearray(args: tuple[Any, ...]) -> None:
    assert picoring.PicoListByte(*args) == bytearray(*args)


@pytest.mark.parametrize("args", [(-1,), ("ab",), (b"", "ascii"), (0.5,), ([256],), (None, "ascii")])
def test_constructor_errors_match_bytearray(args: tuple[Any, ...]) -> None:
    with pytest.raises(Exception) as theirs:
        bytearray(*args)
    with pytest.raises(theirs.type):
        picoring.PicoListByte(*args)


def test_formatting_and_fromhex_return_the_class() -> None:
    out = picoring.PicoListByte(b"%s=%d") % (b"x", 5)
    assert type(out) is picoring.PicoListByte and out == b"x=5"
    assert picoring.PicoListByte(b"a").__rmod__(b"%s") is NotImplemented
    hexed = picoring.PicoListByte.fromhex("61 62")
    assert type(hexed) is picoring.PicoListByte and hexed == b"ab"
    assert picoring.PicoListByte.maketrans(b"a", b"b") == bytearray.maketrans(b"a", b"b")


def test_methods_work_while_a_view_is_held_and_the_list_grows() -> None:
    lst = picoring.PicoListByte(b"hello world")
    view = memoryview(lst)
    lst.extend(b" again")
    assert lst.find(b"again") == 12 and lst.split() == [b"hello", b"world", b"again"]
    assert lst.hex()[:4] == "6865" and lst.upper().startswith(b"HELLO")
    assert view[:5] == b"hello"
    view.release()


def test_long_lists_match_bytearray() -> None:
    # Past the short results copied through the stack: the fresh-bytearray path.
    data = b"  \tab Cd-ef\n" * 100
    ours, theirs = picoring.PicoListByte(data), bytearray(data)
    for name in ["strip", "lstrip", "rstrip", "upper", "lower", "swapcase", "title", "capitalize", "split", "rsplit"]:
        assert getattr(ours, name)() == getattr(theirs, name)(), name
    assert ours.partition(b"ef\n  ") == theirs.partition(b"ef\n  ")
    assert ours.hex(":", 4) == theirs.hex(":", 4)
