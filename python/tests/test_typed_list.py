"""PicoList(typecode): behaves like array.array, and grows while exported."""

import array
import math
import struct
import sys
import warnings

import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from picoring import PicoList
from conftest import EXPORTS_MESSAGE

TYPECODES = "bBhHiIlLqQfd"
INT_CODES = "bBhHiIlLqQ"
# The text typecodes of the running Python's array module ('w' from 3.13 on).
TEXT_CODES = "uw" if sys.version_info >= (3, 13) else "u"


def ref_array(code, *args):
    """array.array(code, ...), without 3.13's DeprecationWarning for 'u'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return array.array(code, *args)


def new_list(code, *args):
    """PicoList(code, ...), without its DeprecationWarning for 'u' (as array's, from 3.13)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return PicoList(code, *args)


def int_range(code):
    bits = 8 * array.array(code).itemsize
    if code.isupper():
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def values(code):
    if code in TEXT_CODES:
        # Any code point, surrogates included (array keeps them as they are).
        return st.integers(min_value=0, max_value=0x10FFFF).map(chr)
    if code in INT_CODES:
        lo, hi = int_range(code)
        return st.integers(min_value=lo, max_value=hi)
    # Values every float type holds exactly, so the model and the list agree bit for bit.
    return st.integers(min_value=-(2**20), max_value=2**20).map(lambda i: i / 8)


@pytest.mark.parametrize("code", TYPECODES)
def test_typecode_itemsize_and_format_match_array(code):
    lst = PicoList(code, [1, 2, 3])
    ref = array.array(code, [1, 2, 3])
    assert lst.typecode == code
    assert lst.itemsize == ref.itemsize
    view = memoryview(lst)
    assert (view.format, view.itemsize, view.shape) == (code, ref.itemsize, (3,))
    assert view.tolist() == ref.tolist()
    assert bytes(lst) == ref.tobytes()
    assert lst == ref and lst == [1, 2, 3] and lst == (1, 2, 3)


def test_default_is_a_byte_list():
    lst = PicoList()
    assert lst.typecode == "B"
    lst.push(7)
    lst.extend(b"ab")
    assert lst.get(0) == 7 and lst.get(5) is None
    assert lst.set(1, 9) is True and lst.set(10, 9) is False
    assert lst.len() == 3 == len(lst)
    assert bytes(lst) == b"\x07\x09b"


@pytest.mark.parametrize("code", INT_CODES)
def test_out_of_range_and_wrong_types_raise_what_array_raises(code):
    lo, hi = int_range(code)
    lst = PicoList(code)
    for bad in (lo - 1, hi + 1, 2**64, -(2**64)):
        with pytest.raises(OverflowError):
            array.array(code).append(bad)
        with pytest.raises(OverflowError):
            lst.append(bad)
    for bad in (1.5, "1", None, b"x"):
        with pytest.raises(TypeError):
            array.array(code).append(bad)
        with pytest.raises(TypeError):
            lst.append(bad)
    lst.append(lo)
    lst.append(hi)
    assert lst.tolist() == [lo, hi]


@pytest.mark.parametrize("code", "fd")
def test_float_conversions_follow_array(code):
    lst = PicoList(code, [1, 2.5, True])
    assert lst == array.array(code, [1, 2.5, True])
    for bad in ("1", None):
        with pytest.raises(TypeError):
            lst.append(bad)
    with pytest.raises(OverflowError):
        lst.append(10**400)
    lst.append(float("nan"))
    assert math.isnan(lst[-1])
    assert lst != array.array(code, [1, 2.5, 1, float("nan")])  # nan != nan, as in array
    assert PicoList(code, [0.0]) == array.array(code, [-0.0])


def test_bad_typecodes():
    for bad in ("x", "", "qq", *("w" if "w" not in TEXT_CODES else "")):
        with pytest.raises((ValueError, TypeError)):
            PicoList(bad)
    with pytest.raises(TypeError):
        PicoList(5)


def test_indexing_and_slicing_like_array():
    ref = array.array("q", range(-5, 20))
    lst = PicoList("q", ref)
    for i in (0, 3, -1, -25, 24):
        assert lst[i] == ref[i]
    for i in (25, -26, sys.maxsize, -sys.maxsize):
        with pytest.raises(IndexError):
            lst[i]
        with pytest.raises(IndexError):
            lst[i] = 1
    for s in (slice(None), slice(2, 9), slice(None, None, -3), slice(30, 40), slice(-4, None, 2)):
        assert lst[s] == ref[s]
        assert type(lst[s]) is PicoList and lst[s].typecode == "q"  # a new list, as array slices are arrays
    lst[-1] = 99
    ref[-1] = 99
    lst[1:7:2] = [7, 8, 9]
    ref[1:7:2] = array.array("q", [7, 8, 9])
    lst[0:2] = array.array("q", [40, 41])
    ref[0:2] = array.array("q", [40, 41])
    assert lst == ref
    lst[0:3] = [1, 2]  # another length: the items after the slice move, as in an array
    ref[0:3] = array.array("q", [1, 2])
    assert list(lst) == ref.tolist()
    with pytest.raises(ValueError):
        lst[0:6:2] = [1, 2]  # an extended slice keeps its length, as in an array


def test_pop_and_insert_like_array():
    ref = array.array("i", range(10))
    lst = PicoList("i", ref)
    for i in (-1, 0, 3, -2):
        assert lst.pop(i) == ref.pop(i)
    for i, v in ((0, 100), (-1, 101), (50, 102), (-50, 103), (3, 104)):
        lst.insert(i, v)
        ref.insert(i, v)
    assert lst == ref
    with pytest.raises(IndexError):
        PicoList("i").pop()
    with pytest.raises(IndexError):
        lst.pop(100)


def test_extend_from_buffers_and_iterables():
    lst = PicoList("q")
    lst.extend(array.array("q", [1, 2]))
    lst.extend(range(3, 6))
    lst.extend(x for x in (6, 7))
    lst.extend(lst)  # itself, as array.array allows
    assert lst.tolist() == [1, 2, 3, 4, 5, 6, 7] * 2
    # A buffer of another format is iterated and converted, as array.array does; an
    # array.array of another typecode is refused, as array.array refuses it.
    lst = PicoList("d")
    lst.extend(memoryview(array.array("i", [1, 2])))
    assert lst.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError):
        lst.extend(array.array("i", [1, 2]))
    # Like array.array, an iterable failing part way leaves the earlier items appended.
    lst, ref = PicoList("b"), array.array("b")
    for target in (lst, ref):
        with pytest.raises(OverflowError):
            target.extend([1, 2, 300, 4])
    assert lst == ref and lst == [1, 2]
    with pytest.raises(TypeError):
        lst.extend(5)


def test_grows_while_exported_and_old_views_stay_valid():
    lst = PicoList("d", [0.5])
    view = memoryview(lst)
    lst.extend(float(i) for i in range(200_000))
    assert view[0] == 0.5 and len(view) == 1
    view2 = memoryview(lst)
    lst.append(1.0)
    assert view2[-1] == 199_999.0
    for refused in (lst.pop, lst.clear, lambda: lst.insert(0, 1.0), lst.close):
        with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
            refused()
    view.release()
    view2.release()
    lst.pop()
    lst.clear()
    assert len(lst) == 0


def test_memoryview_cast_roundtrip():
    lst = PicoList("H", [1, 2, 65535])
    raw = memoryview(lst).cast("B")
    assert raw.tobytes() == struct.pack("=3H", 1, 2, 65535)
    assert raw.cast("H").tolist() == [1, 2, 65535]
    writable = memoryview(lst)
    writable[0] = 5
    assert lst[0] == 5


def test_repr_like_array():
    assert repr(PicoList("q")) == "PicoList('q')"
    assert repr(PicoList("d", [1, 2.5])) == "PicoList('d', [1.0, 2.5])"
    assert eval(repr(PicoList("b", [-1, 2]))) == [-1, 2]
    assert "with 5000 items" in repr(PicoList("i", range(5000)))


def test_use_after_close():
    lst = PicoList("f", [1.0])
    with lst:
        pass
    assert lst.closed
    for call in (lambda: lst.append(1.0), lambda: len(lst), lambda: lst[0], lst.tolist):
        with pytest.raises(ValueError):
            call()
    assert "closed" in repr(lst)


def test_numpy_zero_copy():
    np = pytest.importorskip("numpy")
    lst = PicoList("q", np.arange(10))
    a = np.frombuffer(lst, dtype=np.int64)
    b = np.asarray(lst)
    assert b.dtype == np.int64 and b.tolist() == list(range(10))
    lst[0] = 42
    assert a[0] == 42 and b[0] == 42  # the same memory, no copy
    lst.extend(np.arange(100_000))  # grows while numpy holds it
    assert a[0] == 42
    f = PicoList("f", np.linspace(0, 1, 5, dtype=np.float32))
    assert np.asarray(f).dtype == np.float32
    # numpy's int64 exports format "l" on LP64: accepted as "q" in one copy.
    assert PicoList("q", np.array([1, 2], dtype=np.int64)) == [1, 2]
    assert PicoList("d", np.array([1, 2], dtype=np.int32)) == [1.0, 2.0]  # converted


class TypedListMachine(RuleBasedStateMachine):
    """PicoList against array.array over random operation sequences."""

    @initialize(code=st.sampled_from(TYPECODES + TEXT_CODES), data=st.data())
    def create(self, code, data):
        self.code = code
        self.values = values(code)
        initial = data.draw(st.lists(self.values, max_size=20))
        self.lst = new_list(code, initial)
        self.model = ref_array(code, initial)
        self.views = []

    @rule(data=st.data())
    def append(self, data):
        v = data.draw(self.values)
        self.lst.append(v)
        self.model.append(v)

    @rule(data=st.data())
    def extend_list(self, data):
        items = data.draw(st.lists(self.values, max_size=50))
        self.lst.extend(items)
        self.model.extend(items)

    @rule(data=st.data())
    def extend_buffer(self, data):
        items = ref_array(self.code, data.draw(st.lists(self.values, max_size=50)))
        self.lst.extend(items)
        self.model.extend(items)

    @rule(index=st.integers(min_value=-30, max_value=30))
    def pop(self, index):
        if not -len(self.model) <= index < len(self.model):
            with pytest.raises(IndexError):
                self.lst.pop(index)
        elif self.views:
            with pytest.raises(BufferError):
                self.lst.pop(index)
        else:
            assert self.lst.pop(index) == self.model.pop(index)

    @rule(index=st.integers(min_value=-30, max_value=30), data=st.data())
    def insert(self, index, data):
        v = data.draw(self.values)
        if self.views:
            with pytest.raises(BufferError):
                self.lst.insert(index, v)
        else:
            self.lst.insert(index, v)
            self.model.insert(index, v)

    @precondition(lambda self: len(self.model) > 0)
    @rule(data=st.data())
    def setitem(self, data):
        i = data.draw(st.integers(min_value=-len(self.model), max_value=len(self.model) - 1))
        v = data.draw(self.values)
        self.lst[i] = v
        self.model[i] = v

    @rule(start=st.integers(-30, 30) | st.none(), stop=st.integers(-30, 30) | st.none(),
          step=st.sampled_from([None, 1, 2, -1, -3]))
    def getslice(self, start, stop, step):
        s = slice(start, stop, step)
        assert self.lst[s] == self.model[s]

    @rule()
    def export(self):
        self.views.append(memoryview(self.lst))

    @rule()
    def release(self):
        if self.views:
            self.views.pop().release()

    @invariant()
    def same_items(self):
        assert len(self.lst) == len(self.model)
        assert self.lst == self.model
        assert bytes(self.lst) == self.model.tobytes()

    def teardown(self):
        for view in self.views:
            view.release()


TestTypedListMachine = TypedListMachine.TestCase
TestTypedListMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


@pytest.mark.parametrize("code", TYPECODES)
def test_extend_from_range_matches_array(code):
    lo, hi = int_range(code) if code in INT_CODES else (-(2**40), 2**40)
    cases = [range(0), range(5), range(10, -10, -3), range(lo, lo + 40_000, 7),
             range(hi, hi - 100_000, -1), range(lo - 2, lo + 3), range(hi - 3, hi + 2),
             range(-(2**63), -(2**63) + 3), range(2**64 - 2, 2**64 + 1)]
    for r in cases:
        lst, ref = PicoList(code, [1]), array.array(code, [1])
        errors = []
        for target in (lst, ref):
            try:
                target.extend(r)
                errors.append(None)
            except OverflowError:
                errors.append(OverflowError)
        assert errors[0] == errors[1], r
        assert lst == ref, r


def test_bounded_reservation_and_bad_sizes():
    with pytest.raises(ValueError):
        PicoList("q", max_capacity=-1)
    for huge in (2**62, sys.maxsize):
        with pytest.raises((MemoryError, OverflowError)):
            PicoList("q", max_capacity=huge)
    with pytest.raises(OverflowError):
        PicoList("q", max_capacity=2**64)
    small = PicoList("d", max_capacity=64 * 1024)
    room = small.max_capacity()
    small.extend(range(room))
    with pytest.raises(MemoryError):
        small.append(1.0)
    with pytest.raises(MemoryError):
        small.extend(array.array("d", [1.0]))
    assert len(small) == room and small[-1] == room - 1


def test_eight_threads_appending_lose_nothing():
    import threading

    lst = PicoList("Q")
    per_thread = 20_000

    def work(t):
        for start in range(0, per_thread, 100):
            lst.extend(range(t * per_thread + start, t * per_thread + start + 50))
            for v in range(t * per_thread + start + 50, t * per_thread + start + 100):
                lst.append(v)
            view = memoryview(lst)  # exports come and go while others append
            view.release()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(lst) == list(range(8 * per_thread))


def test_slice_bounds_that_use_the_list_do_not_deadlock():
    lst = PicoList("h", range(10))

    class Sneaky:
        def __index__(self):
            return len(lst) - 2  # runs Python code that needs the list

    assert lst[Sneaky():].tolist() == [8, 9]
    lst[Sneaky():] = [1, 2]
    assert lst[-2:].tolist() == [1, 2]


@pytest.mark.parametrize("code", TEXT_CODES)
def test_text_typecodes_match_array(code):
    text = "a\xe9\u1234\U0001f600"
    lst, ref = new_list(code, text), ref_array(code, text)
    assert (lst.typecode, lst.itemsize) == (code, ref.itemsize)
    assert lst == ref and lst.tolist() == ref.tolist() == list(text)
    assert lst.tounicode() == text and bytes(lst) == ref.tobytes()
    view = memoryview(lst)
    assert (view.format, view.itemsize) == (memoryview(ref).format, ref.itemsize)
    view.release()
    lst.fromunicode("xy")
    ref.fromunicode("xy")
    lst.append("z")
    ref.append("z")
    assert lst == ref and lst[-1] == "z" and lst.index("x") == ref.index("x")
    assert lst.count("a") == 1 and "\u1234" in lst and 1 not in lst
    assert new_list(code, "ab") < new_list(code, "ac") and new_list(code) == ref_array(code)
    assert repr(new_list(code, "a'b")) == f"PicoList('{code}', \"a'b\")"
    assert repr(new_list(code)) == f"PicoList('{code}')"
    for other in TEXT_CODES:  # another text typecode's items convert
        assert new_list(code, ref_array(other, "ab")) == new_list(code, new_list(other, "ab")) == ["a", "b"]
    import pickle

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(lst, protocol)) == lst


@pytest.mark.parametrize("code", TEXT_CODES)
def test_text_errors_are_arrays(code):
    """Every call raises the exception array.array raises for it."""
    invalid = b"\xff\xff\xff\xff" if ref_array(code).itemsize == 4 else None
    calls = [
        lambda m, c: m(c, [1]),
        lambda m, c: m(c, ["ab"]),
        lambda m, c: m(c).extend(range(3)),
        lambda m, c: m(c).append(65),
        lambda m, c: m(c).fromunicode(3),
        lambda m, c: m(c).fromunicode(b"x"),
        lambda m, c: m(c).extend(ref_array("b", [1])),
        lambda m, c: m(c, "ab") < m("b", [1, 2]),
    ]
    if invalid:
        calls += [lambda m, c: m(c, invalid).tounicode(), lambda m, c: m(c, invalid)[0],
                  lambda m, c: repr(m(c, invalid))]
    # A surrogate: 'u' keeps it in tounicode, 'w' refuses it (UnicodeDecodeError).
    lone = new_list(code, "a\ud800")
    assert lone[1] == "\ud800" and lone.tolist() == ref_array(code, "a\ud800").tolist()
    if code == "u":
        assert lone.tounicode() == ref_array(code, "a\ud800").tounicode() == "a\ud800"
    else:
        calls += [lambda m, c: m(c, "a\ud800").tounicode(), lambda m, c: repr(m(c, "\ud800"))]
    for call in calls:
        errors = []
        for make in (ref_array, new_list):
            try:
                call(make, code)
                errors.append(None)
            except Exception as e:  # noqa: BLE001 - compared below
                errors.append(type(e))
        assert errors[0] is not None and errors[0] == errors[1]


@pytest.mark.parametrize("code", "bBhHiIlLqQfd")
def test_numbers_refuse_text_as_array_does(code):
    with pytest.raises(TypeError, match="cannot use a str"):
        PicoList(code, "ab")
    for text in TEXT_CODES:
        for initial in (ref_array(text, "ab"), new_list(text, "ab")):
            with pytest.raises(TypeError, match="cannot use a unicode array"):
                PicoList(code, initial)
    lst = PicoList(code)
    with pytest.raises(ValueError):
        lst.tounicode()
    with pytest.raises(ValueError):
        lst.fromunicode("a")
    with pytest.raises(TypeError):
        lst.fromunicode(1)


def test_u_warns_as_array_does():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        array.array("u")
        PicoList("u")
    kinds = [w.category for w in caught]
    assert kinds[: len(kinds) // 2] == kinds[len(kinds) // 2:]
    assert (DeprecationWarning in kinds) == (sys.version_info >= (3, 13))


def test_copies_and_pickles_of_u_do_not_warn():
    """array.array warns when 'u' is named (3.13), not when an array is copied or unpickled."""
    lst = new_list("u", "ab")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import copy
        import pickle

        assert copy.copy(lst) == copy.deepcopy(lst) == lst
        assert pickle.loads(pickle.dumps(lst, pickle.HIGHEST_PROTOCOL)) == lst


def test_numpy_reads_text_as_array_does():
    np = pytest.importorskip("numpy")
    for code in TEXT_CODES:
        lst = new_list(code, "ab")
        if memoryview(ref_array(code)).format != "w":
            continue  # 2-byte wchar_t: format 'u', which numpy refuses for array.array too
        view = np.asarray(lst)
        assert view.dtype == np.dtype("<U1") and view.tolist() == ["a", "b"]
        lst[0] = "z"
        assert view[0] == "z"  # the same memory


def fast_path_values(code):
    """values(code), and for the float typecodes also NaN, both zeros and the infinities
    (compared natively, these must still follow IEEE: nan != nan, 0.0 == -0.0)."""
    if code in "fd":
        special = st.sampled_from([math.nan, -math.nan, 0.0, -0.0, math.inf, -math.inf])
        return values(code) | special
    return values(code)


def same_items(got, want):
    """Equal item by item, NaN matching NaN (compared through the native bytes)."""
    assert got.tobytes() == want.tobytes()
    assert len(got) == len(want)


@settings(max_examples=200, deadline=None)
@pytest.mark.parametrize("code", TYPECODES + TEXT_CODES)
@given(data=st.data())
def test_native_fast_paths_match_array(code, data):
    """==, !=, tolist, iteration, byteswap and extended slices, against array.array, for
    lists of one typecode, of two typecodes, and a list compared with itself."""
    items = data.draw(st.lists(fast_path_values(code), max_size=12))
    others = data.draw(st.one_of(st.just(items), st.lists(fast_path_values(code), max_size=12),
                                 st.just(items[:-1]), st.just(items[::-1])))
    x, y = new_list(code, items), new_list(code, others)
    ax, ay = ref_array(code, items), ref_array(code, others)
    assert (x == y) == (ax == ay) and (x != y) == (ax != ay)
    assert (x == ay) == (ax == ay) and (x != ay) == (ax != ay)
    assert (x == x) == (ax == ax) and (x != x) == (ax != ax)
    # Another typecode: compared number by number, as arrays of two typecodes are.
    if code in INT_CODES:
        wide = "q" if code not in "QL" else "Q"
        assert (x == new_list(wide, others)) == (ax == ref_array(wide, others))
        assert (x == ref_array(wide, others)) == (ax == ref_array(wide, others))
    if code in "fd":
        other = "d" if code == "f" else "f"
        assert (x == new_list(other, others)) == (ax == ref_array(other, others))
    got, want = x.tolist(), ax.tolist()
    assert len(got) == len(want)
    assert all(type(g) is type(w) and (g == w or g != g and w != w) for g, w in zip(got, want))
    assert [type(v) for v in x] == [type(v) for v in ax]
    s = slice(data.draw(st.integers(-15, 15) | st.none()), data.draw(st.integers(-15, 15) | st.none()),
              data.draw(st.sampled_from([None, 1, 2, 3, -1, -2, -5])))
    same_items(x[s], ax[s])
    x.byteswap()
    ax.byteswap()
    same_items(x, ax)


def test_iterator_sees_live_changes_as_arrays_does():
    """An iterator sees items changed, appended and removed after it was made, as array's."""
    for mutate in (
        lambda s: s.__setitem__(3, 99),
        lambda s: s.append(7),
        lambda s: s.__delitem__(slice(2, None)),
        lambda s: s.pop(),
        lambda s: s.byteswap(),
    ):
        x, ax = PicoList("q", range(6)), array.array("q", range(6))
        it, ait = iter(x), iter(ax)
        got, want = [next(it), next(it)], [next(ait), next(ait)]
        mutate(x)
        mutate(ax)
        got += list(it)
        want += list(ait)
        assert got == want


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("code", TYPECODES)
@given(data=st.data())
def test_list_to_list_copies_match_array(code, data):
    """extend, +, += and slice assignment from another PicoList (copied without a buffer
    export), from itself, and from a list of another typecode, as array.array does them."""
    items = data.draw(st.lists(values(code), max_size=10))
    others = data.draw(st.lists(values(code), max_size=10))
    x, ax = new_list(code, items), ref_array(code, items)
    y, ay = new_list(code, others), ref_array(code, others)
    same_items(x + y, ax + ay)
    x.extend(y)
    ax.extend(ay)
    same_items(x, ax)
    x.extend(x)
    ax.extend(ax)
    same_items(x, ax)
    x += y
    ax += ay
    same_items(x, ax)
    x[1:3] = y
    ax[1:3] = ay
    same_items(x, ax)
    other = "d" if code != "d" else "f"
    for op in (lambda a, b: a.extend(b), lambda a, b: a + b, lambda a, b: a.__iadd__(b)):
        with pytest.raises(TypeError) as want:
            op(ax, ref_array(other, []))
        with pytest.raises(TypeError) as got:
            op(x, new_list(other, []))
        assert type(got.value) is type(want.value)
    same_items(x, ax)


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("code", TYPECODES)
@given(index=st.integers(-6, 6) | st.sampled_from([2**63, -(2**63) - 1, 2**70]),
       value=st.integers(-(2**65), 2**65) | st.floats(allow_nan=True) | st.sampled_from([True, 2**63]))
def test_setitem_of_one_number_matches_array(code, index, value):
    """lst[i] = number (an exact int index and number take a one-lock path): the same item
    stored, or the same exception type raised in the same order (index first), as array's."""
    x, ax = new_list(code, range(4)), ref_array(code, range(4))
    try:
        ax[index] = value
    except Exception as exc:  # noqa: BLE001 - the exception type is what is compared
        with pytest.raises(type(exc)):
            x[index] = value
    else:
        x[index] = value
    same_items(x, ax)
