"""PicoByteStreamPy: written and read like a non-blocking socket, with framing helpers."""

import pytest

from conftest import EXPORTS_MESSAGE
from picoring import PicoByteStreamPy


def test_seed_example():
    stream = PicoByteStreamPy(8192)
    assert stream.write(b"payload") == 7
    assert stream.read(4) == b"payl"
    assert stream.available_to_read() == 3
    assert stream.available_to_write() == stream.capacity() - 3


def test_write_stores_what_fits_and_returns_the_count():
    stream = PicoByteStreamPy(1)
    cap = stream.capacity()
    assert stream.write(b"a" * (cap + 100)) == cap
    assert stream.write(b"more") == 0
    assert stream.available_to_write() == 0
    assert stream.read(cap * 2) == b"a" * cap
    assert stream.read(1) == b""


def test_next_line_and_read_until():
    stream = PicoByteStreamPy(4096)
    stream.write(b"PING\r\nPONG\r\npartial")
    assert stream.next_line() == b"PING\r\n"
    assert stream.next_line() == b"PONG\r\n"
    assert stream.next_line() is None
    assert bytes(stream.peek()) == b"partial"
    stream.write(b";rest")
    assert stream.read_until(ord(";")) == b"partial;"
    assert stream.read_until(ord(";")) is None
    with pytest.raises(ValueError):
        stream.read_until(256)


def test_peek_blocks_reads_until_released():
    stream = PicoByteStreamPy(4096)
    stream.write(b"line\n")
    view = stream.peek()
    for read in (lambda: stream.read(1), stream.next_line, lambda: stream.consume(1)):
        with pytest.raises(BufferError, match=EXPORTS_MESSAGE):
            read()
    assert stream.write(b"more") == 4
    view.release()
    assert stream.next_line() == b"line\n"
    stream.consume(4)
    assert stream.available_to_read() == 0


def test_recv_into_style_receive():
    stream = PicoByteStreamPy(4096)
    with stream.get_writable_view(16) as view:
        view[:3] = b"abc"
    stream.commit(3)
    assert stream.read(10) == b"abc"
