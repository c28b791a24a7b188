"""Message passing between threads through one PicoQueueByte: length-prefixed records.

Four producer threads each push whole records (a 4-byte length, then the payload) with one
push_bulk call, so records never interleave; the consumer pops a header, then the payload.

    python examples/messages.py [--quick]
"""

from __future__ import annotations

import struct
import sys
import threading
import time

import picoring

HEADER = struct.Struct("<I")


def producer(queue, worker: int, count: int) -> None:
    for seq in range(count):
        payload = b"worker=%d seq=%d %s" % (worker, seq, b"x" * (seq % 64))
        record = HEADER.pack(len(payload)) + payload
        while queue.push_bulk(record) is False:  # full: let the consumer catch up
            time.sleep(0)


def main() -> None:
    workers, per_worker = 4, (5_000 if "--quick" in sys.argv else 100_000)
    queue = picoring.PicoQueueByte(256 * 1024)
    threads = [threading.Thread(target=producer, args=(queue, w, per_worker), daemon=True) for w in range(workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    next_seq = [0] * workers
    received = total = 0
    while received < workers * per_worker:
        header = queue.pop_bulk(HEADER.size)
        if not header:
            time.sleep(0)
            continue
        # A producer pushes a whole record at once: once its header is here, so is its payload.
        (length,) = HEADER.unpack(header)
        payload = queue.pop_bulk(length)
        worker, seq = (int(field.split(b"=")[1]) for field in payload.split(b" ")[:2])
        if seq != next_seq[worker]:
            raise SystemExit(f"worker {worker}: record {seq} arrived in place of {next_seq[worker]}")
        next_seq[worker] += 1
        received += 1
        total += HEADER.size + length
    for t in threads:
        t.join()
    secs = time.perf_counter() - start
    print(
        f"messages.py: {received} records ({total / 1e6:.1f} MB) from {workers} threads in {secs:.3f} s: "
        f"{received / secs / 1e3:.0f} k records/s, each worker's records in order"
    )


if __name__ == "__main__":
    main()
