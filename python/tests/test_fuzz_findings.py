"""What the call-sequence fuzzer (python/fuzz/fuzz_calls.py, test_stateful.py's
CallSequenceMachine) found, each as a regression test against the built-in it resembles."""

import array

import pytest

import picoring

HUGE = [2**63, 2**64, -(2**63) - 1, 10**30]


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_byte_value_is_a_value_error_as_in_bytearray(value):
    with pytest.raises(ValueError):
        bytearray().append(value)
    lst = picoring.PicoListByte(b"ab")
    for call in (
        lambda: lst.append(value),
        lambda: lst.push(value),
        lambda: lst.extend([1, value]),
        lambda: lst.set(0, value),
        lambda: lst.__setitem__(0, value),
    ):
        with pytest.raises(ValueError, match="range"):
            call()
        assert bytes(lst) == b"ab"
    for cls in (picoring.PicoRingByte, picoring.PicoQueueByte, picoring.PicoByteStreamPy):
        ring = cls(16)
        with pytest.raises(ValueError, match="range"):
            ring.push(value)
        assert len(ring) == 0
    stream = picoring.PicoByteStreamPy(16)
    stream.write(b"a\n")
    with pytest.raises(ValueError, match="range"):
        stream.read_until(value)
    assert stream.next_line() == b"a\n"


def test_byte_values_still_take_index_and_refuse_other_types():
    class Index:
        def __index__(self):
            return 7

    lst = picoring.PicoListByte()
    lst.append(Index())
    ring = picoring.PicoRingByte(16)
    assert ring.push(Index())
    assert bytes(lst) == bytes(ring) == b"\x07"
    for bad in (1.0, "a", None):
        with pytest.raises(TypeError):
            lst.append(bad)
        with pytest.raises(TypeError):
            ring.push(bad)


@pytest.mark.parametrize(("code", "other"), [("q", "l"), ("l", "q"), ("d", "f"), ("B", "b"), ("i", "I")])
def test_extend_with_an_array_of_another_typecode_is_a_type_error(code, other):
    ref = array.array(code, [1])
    with pytest.raises(TypeError):
        ref.extend(array.array(other, [2]))
    lst = picoring.PicoList(code, [1])
    with pytest.raises(TypeError, match="same kind"):
        lst.extend(array.array(other, [2]))
    with pytest.raises(TypeError, match="same kind"):
        lst.extend(picoring.PicoList(other, [2]))
    assert lst.tolist() == [1]
    # The same typecode, and any other iterable or buffer, still extend.
    lst.extend(array.array(code, [2]))
    lst.extend(picoring.PicoList(code, [3]))
    lst.extend([4])
    assert lst.tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("typecode", ["b", "B", "h", "i", "q", "Q", "f", "d"])
def test_an_index_out_of_range_is_reported_before_a_bad_value_as_in_array(typecode):
    bad = 2**70 if typecode not in "fd" else "not a number"
    reference = array.array(typecode, [1])
    with pytest.raises(IndexError):
        reference[5] = bad
    lst = picoring.PicoList(typecode, [1])
    with pytest.raises(IndexError):
        lst[5] = bad
    with pytest.raises(type(_error_of(lambda: reference.__setitem__(0, bad)))):
        lst[0] = bad
    assert lst.tolist() == reference.tolist()


def _error_of(call):
    try:
        call()
    except Exception as err:  # noqa: BLE001 - the built-in's exception is what is compared
        return err
    raise AssertionError("the built-in accepted the value")
