"""Parse HTTP-style requests from a socket in place: one memoryview even across the wrap.

A client thread sends requests over a local socket pair in writes of arbitrary size; the
reader receives straight into the ring's free space (recv_into a writable view, then commit)
and parses complete requests straight out of get_readable_view(), with `re` working on the
memoryview: the bytes are never copied after the kernel delivers them.

    python examples/tcp_parse.py [--quick]
"""

from __future__ import annotations

import re
import socket
import sys
import threading
import time

import picoring

HEAD = re.compile(rb"GET /item/(\d+) HTTP/1\.1\r\n(?:[^\r\n]*\r\n)*?\r\n")


def client(sock: socket.socket, requests: int) -> None:
    batch = bytearray()
    for i in range(requests):
        batch += b"GET /item/%d HTTP/1.1\r\nHost: localhost\r\nUser-Agent: picoring-example\r\n\r\n" % i
        if len(batch) > 7_777:  # odd-sized writes: requests arrive split across reads
            sock.sendall(batch)
            batch.clear()
    sock.sendall(batch)
    sock.close()


def main() -> None:
    requests = 20_000 if "--quick" in sys.argv else 300_000
    reader, writer = socket.socketpair()
    sender = threading.Thread(target=client, args=(writer, requests), daemon=True)
    ring = picoring.PicoRingByte(64 * 1024)
    capacity = ring.capacity()
    parsed = total = straddling = read_from = 0
    start = time.perf_counter()
    sender.start()
    while True:
        with ring.get_writable_view() as free:
            received = reader.recv_into(free)
        if not received:
            break
        ring.commit(received)
        consumed = 0
        with ring.get_readable_view() as view:
            for match in HEAD.finditer(view):
                if match.start() != consumed or int(match[1]) != parsed:
                    raise SystemExit(f"request {parsed} is malformed or out of order")
                length = match.end() - match.start()
                straddling += read_from + length > capacity
                read_from = (read_from + length) % capacity
                consumed = match.end()
                parsed += 1
        ring.advance_tail(consumed)  # only after the view is released
        total += consumed
    sender.join()
    if parsed != requests or len(ring):
        raise SystemExit(f"parsed {parsed} of {requests} requests")
    secs = time.perf_counter() - start
    print(
        f"tcp_parse.py: {parsed} requests ({total / 1e6:.1f} MB) parsed in place from a "
        f"{capacity // 1024} KiB ring in {secs:.3f} s: {parsed / secs / 1e3:.0f} k requests/s; "
        f"{straddling} straddled the ring's end and were still one memoryview"
    )


if __name__ == "__main__":
    main()
