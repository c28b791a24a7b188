"""What lists and rings cost the process: empty lists map nothing, many lists leave room for the
program's other allocations, and a ring the machine cannot back is refused like a numpy array
of that size."""

import sys

import pytest

from picoring import PicoByteStreamPy, PicoList, PicoListByte, PicoQueueByte, PicoRing, PicoRingByte

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux memory accounting")

MIB = 1 << 20


def memory_and_swap():
    """Physical memory plus swap in bytes, from /proc/meminfo."""
    fields = {}
    with open("/proc/meminfo") as f:
        for line in f:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0]) * 1024
    return fields["MemTotal"] + fields["SwapTotal"]


def test_a_hundred_thousand_empty_lists_leave_room_for_big_allocations():
    count = 100_000
    byte_lists = [PicoListByte() for _ in range(count)]
    typed_lists = [PicoList("q") for _ in range(count)]
    big = bytearray(256 * MIB)
    assert len(big) == 256 * MIB
    del big

    # Thousands of them holding data (more than 64 GiB reservations would fit) still leave room.
    for i, lst in enumerate(byte_lists[:3000]):
        lst.append(i % 256)
    for lst in typed_lists[:3000]:
        lst.append(-1)
    big = bytearray(256 * MIB)
    assert len(big) == 256 * MIB
    del big
    assert all(lst.max_capacity() >= 64 * MIB for lst in byte_lists[:3000])
    assert byte_lists[2999][0] == 2999 % 256 and typed_lists[2999][0] == -1


def test_a_view_taken_after_the_first_append_survives_growth():
    for lst in (PicoListByte(), PicoList("q")):
        lst.append(7)
        view = memoryview(lst)
        lst.extend(bytes(8 * MIB) if isinstance(lst, PicoListByte) else range(MIB))
        assert view[0] == 7  # the same memory: the list never moved
        lst[0] = 9
        assert view[0] == 9
        view.release()


@linux
@pytest.mark.parametrize(
    "make",
    [PicoRingByte, PicoQueueByte, PicoByteStreamPy, lambda n: PicoRing("B", n), lambda n: PicoRing("d", n // 8 + 1)],
    ids=["PicoRingByte", "PicoQueueByte", "PicoByteStreamPy", "PicoRing-B", "PicoRing-d"],
)
def test_a_ring_larger_than_memory_and_swap_is_memory_error(make):
    too_big = memory_and_swap() + 4096
    with pytest.raises(MemoryError, match="exceeds physical memory plus swap"):
        make(too_big)


@linux
def test_a_terabyte_ring_on_a_smaller_machine_is_memory_error():
    if memory_and_swap() >= 2**40:
        pytest.skip("this machine could back a 1 TiB ring")
    with pytest.raises(MemoryError):
        PicoRingByte(2**40)
    ring = PicoRingByte(MIB)  # ordinary rings are unaffected
    assert ring.push_bytes(b"ok")
