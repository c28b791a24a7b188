"""Typed use of every class, checked by `mypy --strict` against the stubs and run as a script
(so a stub that promises what the module does not do fails one or the other)."""

import array
import copy
import pickle
import tempfile
from typing import assert_type

import picoring


def byte_rings() -> None:
    with picoring.PicoRingByte(4096) as ring:
        assert_type(ring, picoring.PicoRingByte)
        assert ring.push_bytes(b"hello")
        assert_type(ring.capacity(), int)
        view = ring.get_readable_view()
        assert_type(view, memoryview)
        assert bytes(view) == b"hello"
        view.release()
        assert_type(ring.pop(), int | None)
        assert ring.pop_bytes(10) == b"ello"
        free = ring.get_writable_view(3)
        free[:] = b"abc"
        free.release()
        ring.commit(3)
        out = bytearray(3)
        assert ring.readinto(out) == 3 and out == b"abc"
    assert ring.closed

    queue = picoring.PicoQueueByte(4096)
    assert queue.push_bulk(memoryview(b"xyz"))
    assert_type(queue.pop_bulk(2), bytes)
    queue.close()

    stream = picoring.PicoByteStreamPy(4096)
    assert stream.write(b"line\nrest", timeout=None) == 9
    assert_type(stream.next_line(), bytes | None)
    assert stream.read(4, timeout=0.5) == b"rest"
    stream.close()


def lists() -> None:
    data = picoring.PicoListByte(b"ab")
    data.append(99)
    data.extend(range(3))
    assert_type(data[0], int)
    assert_type(data[0:2], bytes)
    data[0] = 65
    data[0:1] = b"B"
    assert list(data) == [66, 98, 99, 0, 1, 2]
    for byte in data:
        assert_type(byte, int)
    assert_type(data.pop(), int)
    text = picoring.PicoListByte("a-b-c", "ascii")
    assert_type(text.find(b"-"), int)
    assert text.rfind(ord("-"), 0, None) == 3 and text.index(b"b") == 2 and text.rindex(b"c") == 4
    assert text.count(b"-") == 2 and text.startswith((b"a", b"x")) and text.endswith(b"c", 1)
    assert_type(text.split(b"-"), list[bytearray])
    assert text.rsplit(b"-", 1) == [b"a-b", b"c"] and text.splitlines() == [b"a-b-c"]
    assert_type(text.partition(b"-"), tuple[bytearray, bytearray, bytearray])
    assert text.rpartition(b"-")[2] == b"c"
    assert text.strip(b"ac") == b"-b-" and text.lstrip() == text.rstrip(b"") == b"a-b-c"
    assert text.replace(b"-", b"+") == b"a+b+c" and text.removeprefix(b"a-") == b"b-c"
    assert text.removesuffix(b"-c") == b"a-b" and text.center(7) == b" a-b-c "
    assert text.ljust(6, b".") == b"a-b-c." and text.rjust(6) == b" a-b-c" and text.zfill(6) == b"0a-b-c"
    assert text.expandtabs(4) == text and text.upper() == b"A-B-C" and text.lower() == text
    assert text.swapcase() == text.title().swapcase().swapcase().upper() and text.capitalize()
    assert not (text.isalnum() or text.isalpha() or text.isdigit() or text.isupper() or text.isspace())
    assert text.isascii() and text.islower() and not text.istitle()
    assert_type(text.decode(), str)
    assert_type(text.hex(":"), str)
    assert picoring.PicoListByte(b".").join([b"a", bytearray(b"b")]) == b"a.b"
    assert_type(text.translate(picoring.PicoListByte.maketrans(b"-", b"+")), picoring.PicoListByte)
    assert_type(picoring.PicoListByte(b"%d") % 5, picoring.PicoListByte)
    assert_type(picoring.PicoListByte.fromhex("61 62"), picoring.PicoListByte)
    assert_type(text.copy(), picoring.PicoListByte)
    text += b"!"
    assert list(reversed(text))[0] == ord("!") and picoring.PicoListByte(3) == bytes(3)
    text.insert(0, ord(">"))
    text.remove(ord("!"))
    assert_type(text + b"?", picoring.PicoListByte)
    assert_type(text * 2, picoring.PicoListByte)
    assert text < b"?" and text >= b">" and text != b""

    class TaggedBytes(picoring.PicoListByte):
        tag = "t"

    assert TaggedBytes(b"x").tag == "t"

    numbers = picoring.PicoList("d", [1.5, 2.5])
    numbers.extend(range(2))
    assert_type(numbers[0], int | float | str)
    part = numbers[0:2]
    assert_type(part, picoring.PicoList)
    assert part.tolist() == [1.5, 2.5]
    numbers.insert(0, 9)
    del numbers[0]
    del numbers[5:]
    numbers[1:1] = [7, 8]  # slice assignment may change the length
    del numbers[1:3]
    assert numbers.index(2.5) == 1 and numbers.count(2.5) == 1 and 2.5 in numbers
    numbers.remove(0.0)
    numbers.insert(2, 0.0)
    numbers.reverse()
    numbers.reverse()
    assert_type(numbers.buffer_info(), tuple[int, int])
    numbers.byteswap()
    numbers.byteswap()
    raw = numbers.tobytes()
    numbers.frombytes(raw)
    numbers.fromlist([1.0])
    del numbers[4:]
    both = numbers + array.array("d", [5.0])
    assert_type(both, picoring.PicoList)
    assert_type(numbers * 2, picoring.PicoList)
    numbers *= 1
    numbers += picoring.PicoList("d")
    assert numbers < both and both > numbers
    assert pickle.loads(pickle.dumps(numbers)) == numbers
    assert copy.copy(numbers) == copy.deepcopy(numbers) == numbers
    with tempfile.TemporaryFile() as f:
        numbers.tofile(f)
        f.seek(0)
        back = picoring.PicoList("d")
        back.fromfile(f, len(numbers))
        assert back == numbers

    class Tagged(picoring.PicoList):
        tag = "subclass"

    assert Tagged("i", [1]).tag == "subclass"
    data.reverse()
    del data[0]
    data *= 1
    data.insert(0, 1)
    data.remove(1)
    assert_type(data + b"x", picoring.PicoListByte)
    assert_type(data * 2, picoring.PicoListByte)
    data += b"y"
    assert pickle.loads(pickle.dumps(data)) == data
    numbers[0] = 3
    assert_type(numbers.tolist(), list[int | float | str])
    assert numbers == [3.0, 2.5, 0.0, 1.0]
    assert numbers.typecode == "d" and numbers.itemsize == 8
    assert picoring.PicoList().typecode == "B"
    assert_type(next(iter(numbers)), int | float | str)

    chars = picoring.PicoList("u", "ab")
    chars.fromunicode("c")
    assert_type(chars.tounicode(), str)
    assert chars.tounicode() == "abc" and chars[0] == "a"


def typed_ring() -> None:
    ring = picoring.PicoRing("f", 16, channels=2)
    assert_type(ring.channels, int)
    assert ring.push(array.array("f", [1.0, 2.0, 3.0, 4.0]), timeout=0) == 2
    assert ring.len() == 2
    view = ring.get_readable_view()
    assert view.shape == (2, 2)
    view.release()
    ring.consume(1)
    assert len(ring) == 1
    ring.close()


def shared_ring() -> None:
    with picoring.SharedRingByte(4096) as ring:
        assert_type(ring.role, str | None)
        assert_type(ring.name, str | None)
        assert ring.write(b"hello", timeout=1.0) == 5
        assert_type(ring.wait_readable(5, timeout=0), int)
        view = ring.get_readable_view()
        assert bytes(view) == b"hello"
        view.release()
        assert_type(ring.read(2), bytes)
        assert ring.pop_bytes(10) == b"llo"
        assert ring.role == "both" and not ring.is_abandoned()
        assert_type(ring.fileno(), int)

    frames = picoring.SharedRing("f", 16, channels=2)
    assert frames.push(array.array("f", [1.0, 2.0, 3.0, 4.0]), timeout=0) == 2
    assert_type(frames.wait_readable(2, timeout=0), int)
    view = frames.get_readable_view()
    assert view.shape == (2, 2)
    view.release()
    frames.consume(1)
    assert len(frames) == 1 and frames.channels == 2
    frames.close()


def broadcast() -> None:
    with picoring.Broadcast(4096, lossy=True) as channel:
        assert channel.lossy and channel.capacity() >= 4096
        reader = channel.subscribe()
        assert_type(reader, picoring.BroadcastReader)
        channel.send(b"one")
        channel.send(bytearray(b"two"), timeout=0)
        view = reader.recv(timeout=0)
        assert_type(view, memoryview)
        assert bytes(view) == b"one"
        view.release()
        assert_type(reader.recv_bytes(), bytes)
        assert not reader.release()
        for _ in range(1000):
            channel.send(b"x" * 100)
        try:
            reader.recv()
        except picoring.Lagged as lagged:
            assert_type(lagged.missed, int)
            assert reader.lag == lagged.missed
        assert channel.receiver_count() == 1
        reader.close()


if __name__ == "__main__":
    byte_rings()
    lists()
    typed_ring()
    shared_ring()
    broadcast()
    print("usage.py: every typed call ran")
