"""PicoListByte's bytes methods against bytearray's, as a model: same results, same result types,
same exception types, for random contents and arguments (CPython's own suite runs too, in
python/compat/run_suites.py)."""

from __future__ import annotations

import array
import subprocess
import sys
import threading
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


def outcome(obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> tuple[Any, type]:
    """The result (as bytes where it is a byte sequence) and its type, or the exception's type
    and message."""
    try:
        result = getattr(obj, name)(*args, **(kwargs or {}))
    except Exception as exc:  # the type and message are what is compared
        return str(exc), type(exc)
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


class Bytes1(bytes):
    """A bytes subclass: accepted where bytearray's methods take `bytes`."""


# The methods built in Rust on the list in place (split, rsplit, partition, rpartition,
# replace, removeprefix, removesuffix, center, ljust, rjust, zfill, translate, hex, decode),
# with the odd arguments too: every result, result type, exception type and message must be
# bytearray's.
SIGNED = b"+-0a 1\x00"
signed_contents = st.lists(st.sampled_from(SIGNED + ALPHABET), max_size=20).map(bytes)
odd = st.sampled_from([None, "a", 1, 1.5, True, -1, 2**70, memoryview(b"ab"), memoryview(b"abab")[::2],
                       bytearray(b"a"), array.array("H", [0x6161]), [97]])
seps = st.one_of(st.lists(st.sampled_from(b"aA "), max_size=3).map(bytes), odd)
ints = st.one_of(st.integers(-3, 30), st.sampled_from([None, 1.0, "3", True, 2**63, -(2**63) - 1, 2**70]))
fills = st.sampled_from([b"*", bytearray(b"-"), b"", b"ab", "*", None, memoryview(b"*"), 42, Bytes1(b"+")])
tables = st.one_of(
    st.sampled_from([None, bytes(range(255, -1, -1)), bytes(255), b"", "x" * 256, 3]),
    st.lists(st.integers(0, 255), min_size=256, max_size=256).map(bytearray),
)
deletes = st.one_of(contents, st.sampled_from([None, "a", 1, memoryview(b"ab"), bytearray(b"\x00a")]))
encodings = st.sampled_from(["latin-1", "utf-8", "ascii", "utf-16", "cp1252", "no-such-codec", "utf\x008"])
error_modes = st.sampled_from(["strict", "ignore", "replace", "surrogateescape", "backslashreplace", "nope"])

NATIVE_CALLS = st.one_of(
    st.tuples(st.sampled_from(["split", "rsplit"]), st.tuples(st.one_of(st.none(), seps), ints), st.just({})),
    st.tuples(st.sampled_from(["split", "rsplit"]), st.just(()),
              st.fixed_dictionaries({}, optional={"sep": st.one_of(st.none(), seps), "maxsplit": ints})),
    st.tuples(st.sampled_from(["split", "rsplit"]), st.tuples(seps), st.fixed_dictionaries({"maxsplit": ints})),
    st.tuples(st.sampled_from(["partition", "rpartition", "removeprefix", "removesuffix"]), st.tuples(seps),
              st.just({})),
    st.tuples(st.just("replace"), st.tuples(seps, seps), st.just({})),
    st.tuples(st.just("replace"), st.tuples(seps, seps, ints), st.just({})),
    st.tuples(st.sampled_from(["center", "ljust", "rjust"]), st.tuples(ints), st.just({})),
    st.tuples(st.sampled_from(["center", "ljust", "rjust"]), st.tuples(ints, fills), st.just({})),
    st.tuples(st.just("zfill"), st.tuples(ints), st.just({})),
    st.tuples(st.just("translate"), st.tuples(tables), st.just({})),
    st.tuples(st.just("translate"), st.tuples(tables, deletes), st.just({})),
    st.tuples(st.just("translate"), st.tuples(tables), st.fixed_dictionaries({"delete": deletes})),
    st.tuples(st.just("hex"), st.just(()), st.just({})),
    st.tuples(st.just("hex"), st.just(()), st.fixed_dictionaries({}, optional={"sep": st.sampled_from([":", b"-", "", "xx", 5]),
                                                                             "bytes_per_sep": ints})),
    st.tuples(st.just("decode"), st.tuples(encodings), st.just({})),
    st.tuples(st.just("decode"), st.tuples(encodings, error_modes), st.just({})),
    st.tuples(st.just("decode"), st.just(()), st.fixed_dictionaries({}, optional={"encoding": encodings, "errors": error_modes})),
)


class Sub(picoring.PicoListByte):
    """A subclass: its methods return what the base class's return."""


def check_native(data: bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], cls: type) -> None:
    expected, expected_type = outcome(bytearray(data), name, args, kwargs)
    got, got_type = outcome(cls(data), name, args, kwargs)
    assert got == expected, (name, args, kwargs)
    # translate returns a new PicoListByte (never a subclass) where bytearray's returns a bytearray.
    if expected_type is bytearray and name == "translate":
        expected_type = picoring.PicoListByte
    assert got_type is expected_type, (name, args, kwargs)


@settings(max_examples=1500, deadline=None)
@given(signed_contents, NATIVE_CALLS, st.sampled_from([picoring.PicoListByte, Sub]))
def test_native_methods_match_bytearray(data: bytes, call: tuple[str, tuple[Any, ...], dict[str, Any]], cls: type) -> None:
    name, args, kwargs = call
    check_native(data, name, args, kwargs, cls)


@pytest.mark.parametrize("size", [0, 1, 2047, 2048, 2049, 4096, 4097, 70_000])
def test_native_methods_match_bytearray_at_every_length(size: int) -> None:
    # Across the stack buffers (hex: 4096 bytes, decode: 2048) and the copy that releases the GIL.
    data = (b"+ab o\xff-\tcd e\n" * (size // 16 + 1))[:size]
    table = bytes(range(255, -1, -1))
    calls = [
        ("split", (), {}), ("rsplit", (), {}), ("split", (b"o",), {}), ("rsplit", (b"o\xff", 3), {}),
        ("partition", (b"e\n",), {}), ("rpartition", (b"+",), {}), ("replace", (b"o", b"0"), {}),
        ("replace", (b"ab", b"xyz"), {}), ("replace", (b"ab", b""), {}), ("replace", (b"", b"."), {}),
        ("replace", (b"", b".", 3), {}), ("removeprefix", (b"+ab",), {}),
        ("removesuffix", (data[-3:],), {}), ("center", (size + 9, b"*"), {}), ("ljust", (size + 2,), {}),
        ("rjust", (size + 1,), {}), ("zfill", (size + 4,), {}), ("translate", (table,), {}),
        ("translate", (None, b"ab"), {}), ("translate", (table,), {"delete": b" \n"}), ("hex", (), {}),
        ("hex", (":", 3), {}), ("decode", ("latin-1",), {}), ("decode", ("utf-8", "replace"), {}),
        ("decode", (), {}),
    ]
    for name, args, kwargs in calls:
        check_native(data, name, args, kwargs, picoring.PicoListByte)


def test_native_methods_read_the_list_fed_to_itself() -> None:
    data = b"ab ab"
    for name, args in [("split", "s"), ("partition", "s"), ("replace", "ss"), ("removeprefix", "s"),
                       ("translate", "")]:
        ours, theirs = picoring.PicoListByte(data), bytearray(data)
        if name == "translate":
            ours, theirs = picoring.PicoListByte(bytes(256)), bytearray(bytes(256))
            assert bytes(ours.translate(ours)) == bytes(theirs.translate(theirs))
            continue
        assert outcome(ours, name, tuple(ours for _ in args)) == outcome(theirs, name, tuple(theirs for _ in args))


def test_native_methods_while_another_thread_resizes_the_list() -> None:
    # Each call reads the list under its lock: a concurrent append or clear changes which bytes
    # it sees, never whether they are valid.
    lst = picoring.PicoListByte(b"a b+c" * 50)
    stop = threading.Event()

    def mutate() -> None:
        while not stop.is_set():
            lst.extend(b" x-y" * 300)
            del lst[: len(lst) // 2]
            if len(lst) > 1 << 16:
                lst.clear()

    thread = threading.Thread(target=mutate)
    thread.start()
    try:
        table = bytes(range(256))
        for _ in range(300):
            for result in (lst.split(), lst.rsplit(b" ", 5), lst.partition(b"+"), lst.rpartition(b"x"),
                           lst.replace(b"x", b"yz"), lst.removeprefix(b"a"), lst.removesuffix(b"c"),
                           lst.center(500, b"*"), lst.zfill(300), lst.translate(table, b"a")):
                assert isinstance(result, (list, tuple, bytearray, picoring.PicoListByte))
            assert isinstance(lst.hex(), str) and isinstance(lst.decode("latin-1"), str)
    finally:
        stop.set()
        thread.join()


def test_a_result_too_large_is_a_clean_memory_error() -> None:
    # CPython's bytearray allocation, failing, frees a half-made object that reports
    # "deallocated bytearray object has exported buffers" through sys.excepthook (Python code,
    # which must not run under the list's lock); the results are made so that it cannot.
    code = (
        "import sys, picoring\n"
        "sys.excepthook = lambda *a: print('HOOK', file=sys.stderr)\n"
        "lst = picoring.PicoListByte(b'ab')\n"
        "for call in (lambda: lst.center(2**62), lambda: lst.ljust(2**61, b'*'), lambda: lst.zfill(2**62)):\n"
        "    try:\n"
        "        call()\n"
        "    except MemoryError as exc:\n"
        "        assert str(exc) == '', exc\n"
        "    else:\n"
        "        raise AssertionError('no MemoryError')\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert "HOOK" not in done.stderr and "SystemError" not in done.stderr, done.stderr


@pytest.mark.parametrize("name", ["find", "rfind", "index", "rindex", "count"])
@pytest.mark.parametrize("args", [(-5, b" "), (2**70, None, b" "), (300, "x"), ("x", 1.5), (b"a", 0, 1.5)])
def test_search_bounds_are_checked_before_the_needle_as_bytearray_does(name: str, args: tuple[Any, ...]) -> None:
    assert outcome(picoring.PicoListByte(b"a b"), name, args) == outcome(bytearray(b"a b"), name, args)
