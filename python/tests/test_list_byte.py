"""PicoListByte: a bytearray that grows in place and never moves."""

import pytest

from conftest import EXPORTS_MESSAGE
from picoring import PicoListByte


def test_behaves_like_bytearray():
    lst = PicoListByte(b"hello")
    ref = bytearray(b"hello")
    lst.append(33)
    ref.append(33)
    lst.extend([1, 2, 3])
    ref.extend([1, 2, 3])
    lst.extend(bytearray(b"xy"))
    ref.extend(bytearray(b"xy"))
    assert lst == ref and lst == bytes(ref) and len(lst) == len(ref)
    assert lst[0] == ref[0] and lst[-1] == ref[-1]
    assert lst[1:4] == ref[1:4] and lst[::-2] == ref[::-2]
    assert list(lst) == list(ref)
    assert lst.pop() == ref.pop()
    lst[0] = 72
    ref[0] = 72
    lst[1:3] = b"EL"
    ref[1:3] = b"EL"
    assert bytes(lst) == ref
    assert repr(lst) == f"PicoListByte({bytes(ref)!r}, len={len(ref)})"
    assert lst != b"other" and (lst == "text") is False


def test_index_errors_like_bytearray():
    lst = PicoListByte()
    assert not lst and len(lst) == 0
    with pytest.raises(IndexError):
        lst.pop()
    with pytest.raises(IndexError):
        lst[0]
    lst.append(1)
    with pytest.raises(IndexError):
        lst[-2]
    with pytest.raises(IndexError):
        lst[1] = 0
    with pytest.raises(ValueError):
        lst[0] = 256
    with pytest.raises(ValueError):
        lst.append(-1)
    with pytest.raises(TypeError):
        lst.extend("str")
    with pytest.raises(TypeError):
        lst.extend([1, "x"])
    lst[0:1] = b"longer"  # the bytes after the slice move, as in a bytearray
    assert lst == b"longer"


def test_upstream_methods():
    lst = PicoListByte()
    lst.push(7)
    lst.extend(b"abc")
    assert lst.len() == 4
    assert lst.get(0) == 7 and lst.get(-1) == ord("c") and lst.get(99) is None
    assert lst.set(0, 8) is True and lst.set(99, 1) is False
    assert lst.get(0) == 8


def test_grows_while_exported_and_old_views_stay_valid():
    lst = PicoListByte(b"start")
    view = memoryview(lst)
    assert not view.readonly
    for _ in range(64):
        lst.extend(bytes(64 * 1024))  # 4 MiB in total: a bytearray would have to move
    assert bytes(view) == b"start"
    view[0] = ord("S")  # writes through the old view land in the list
    assert lst[0] == ord("S")
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        lst.pop()
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        lst.clear()
    with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
        lst.close()
    view.release()
    lst.clear()
    assert len(lst) == 0


def test_extend_with_itself():
    lst = PicoListByte(b"ab")
    lst.extend(lst)
    lst.extend(memoryview(lst)[1:])
    assert lst == b"ababbab"


def test_iteration_sees_appends():
    lst = PicoListByte(b"\x01")
    seen = []
    for b in lst:
        seen.append(b)
        if b < 4:
            lst.append(b + 1)
    assert seen == [1, 2, 3, 4]


def test_max_capacity_is_an_error_not_a_crash():
    lst = PicoListByte(max_capacity=4)
    lst.extend(b"abcd")
    with pytest.raises(MemoryError):
        lst.append(1)
    with pytest.raises(MemoryError):
        lst.extend(b"xy")
    assert lst == b"abcd" and lst.max_capacity() == 4


def test_close_and_with():
    with PicoListByte(b"x") as lst:
        assert lst.capacity() >= 1
    assert lst.closed
    with pytest.raises(ValueError):
        lst.append(1)
    assert "closed" in repr(lst)


def test_slice_bounds_whose_index_uses_the_list_do_not_deadlock():
    lst = PicoListByte(b"abcdef")

    class Sneaky:
        def __index__(self):
            lst.append(ord("!"))  # runs Python code that needs the list's lock
            return 1

    assert lst[Sneaky():3] == b"bc"
    lst[Sneaky():2] = b"B"
    assert lst == b"aBcdef!!"
    assert lst[0 : 10**30] == bytes(lst)  # huge bounds clamp, like bytearray
