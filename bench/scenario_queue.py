"""Scenario 3: 40 MB chunks (and, for scale, 4 KiB chunks) through a queue: push one, pop one.

Columns differ in what they do with the bytes, and the table says so: a deque or queue.Queue
of chunks stores a reference to the caller's object (no copy at all, but also no byte-level
access: you get back exactly the objects you put in), while a bytearray FIFO and picoring
copy the bytes in and out (a byte stream: reads of any size, across chunk boundaries).
"""

from __future__ import annotations

import collections
import queue
import time
from typing import Callable

import picoring

from common import MB, MiB, emit, parse_args, picoring_label, progress


def pico_queue(capacity: int):
    """push(chunk) -> ok, pop(n) -> bytes, over PicoQueueByte. push_bulk reports refusal
    (False in 0.6, an exception or False here): a refused push is an error, never skipped."""
    q = picoring.PicoQueueByte(capacity)

    def push(chunk) -> bool:
        return q.push_bulk(chunk) is not False

    return push, q.pop_bulk


def pico_queue_in_place(capacity: int):
    """Same pushes; the reader looks at the bytes through get_view() and consume()s them
    instead of copying them out into a new bytes object."""
    q = picoring.PicoQueueByte(capacity)
    if not hasattr(q, "consume"):  # 0.6 has none; ours must, or the run fails below
        raise LookupError("this picoring's PicoQueueByte has no consume()")

    def push(chunk) -> bool:
        return q.push_bulk(chunk) is not False

    def pop(n: int) -> int:
        with q.get_view() as view:
            got = min(n, len(view))  # a parser would read view[:got] here, where it lies
        q.consume(got)
        return got

    return push, pop


def pico_stream(capacity: int):
    """PicoByteStreamPy: write() stores what fits and returns the count, read(n) copies out."""
    stream = picoring.PicoByteStreamPy(capacity)

    def push(chunk) -> bool:
        return stream.write(chunk) == len(chunk)

    return push, stream.read


def by_reference(put: Callable[[object], None], get: Callable[[], object]):
    """push/pop over a container of chunk objects: `put` stores one, `get` takes the oldest."""

    def push(chunk) -> bool:
        put(chunk)
        return True

    return push, lambda _n: get()


def deque_of_chunks(_capacity: int):
    d: collections.deque = collections.deque()
    return by_reference(d.append, d.popleft)


def bytearray_fifo(_capacity: int):
    buf = bytearray()

    def push(chunk) -> bool:
        buf.extend(chunk)
        return True

    def pop(n: int) -> bytes:
        out = bytes(buf[:n])
        del buf[:n]
        return out

    return push, pop


def queue_queue(_capacity: int):
    q: queue.Queue = queue.Queue()
    return by_reference(q.put, q.get)


# name -> (factory, copies, byte-level reads)
CASES = {
    "PicoQueueByte push_bulk / pop_bulk": (pico_queue, "in and out", True),
    "PicoQueueByte push_bulk / get_view + consume": (pico_queue_in_place, "in only (read in place)", True),
    "PicoByteStreamPy write / read": (pico_stream, "in and out", True),
    "collections.deque of chunks": (deque_of_chunks, "no (stores a reference)", False),
    "bytearray FIFO (extend / slice + del)": (bytearray_fifo, "in and out", True),
    "queue.Queue of chunks": (queue_queue, "no (stores a reference)", False),
}


# Untimed push + pop pairs before measuring. A fresh mirrored ring takes a page fault the
# first time each page is written through each of its two mappings: with a capacity of three
# chunks, six rounds touch every page of both. Every column gets the same warm-up.
WARMUP_ROUNDS = 6


def measure(factory, chunk: bytes, rounds: int):
    """Per-call latency of push and pop (median and worst) and throughput over `rounds`
    push + pop pairs, after WARMUP_ROUNDS untimed ones. One chunk stays queued throughout,
    so ring positions move and wrap. Returns None if a push was refused."""
    n = len(chunk)
    try:
        push, pop = factory(3 * n)
    except LookupError as exc:
        return {"error": f"not available ({exc})"}
    if not push(chunk):
        return None
    for _ in range(WARMUP_ROUNDS):
        if not push(chunk):
            return None
        pop(n)
    push_ns, pop_ns = [], []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        t0 = clock()
        ok = push(chunk)
        t1 = clock()
        out = pop(n)
        t2 = clock()
        if not ok:
            return None
        if (out if isinstance(out, int) else len(out)) != n:
            raise SystemExit(f"popped {len(out)} bytes, expected {n}")
        push_ns.append(t1 - t0)
        pop_ns.append(t2 - t1)
    push_ns.sort()
    pop_ns.sort()
    total_s = (sum(push_ns) + sum(pop_ns)) / 1e9
    return {
        "push_median_us": push_ns[len(push_ns) // 2] / 1e3,
        "pop_median_us": pop_ns[len(pop_ns) // 2] / 1e3,
        "worst_call_us": max(push_ns[-1], pop_ns[-1]) / 1e3,
        "throughput_gb_s": n * rounds / total_s / 1e9,
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    label = picoring_label(args.impl)
    big = 40 * MB // (100 if args.quick else 1)
    sizes = [(big, 4 if args.quick else 12), (4096, 500 if args.quick else 50_000)]
    rows, notes = [], []
    for chunk_len, rounds in sizes:
        chunk = bytes(range(256)) * (chunk_len // 256) + bytes(chunk_len % 256)
        for name, (factory, copies, byte_level) in CASES.items():
            is_pico = factory in (pico_queue, pico_queue_in_place, pico_stream)
            if args.impl == "upstream" and not is_pico:
                continue
            shown = name if args.impl == "ours" or not is_pico else f"{label}: {name}"
            progress(f"queue: {name}, {chunk_len:,}-byte chunks x {rounds} ({label}) ...")
            result = measure(factory, chunk, rounds)
            if result is not None and "error" in result:
                if args.impl == "ours":
                    raise SystemExit(f"{name}: {result['error']}")
                notes.append(f"{shown}: {result['error']}")
                progress(f"  {result['error']}")
                continue
            if result is None:
                notes.append(f"{shown}: refused a {chunk_len:,}-byte push (capacity {3 * chunk_len:,})")
                progress("  push refused")
                continue
            rows.append(
                dict(case=shown, chunk=chunk_len, copies=copies, byte_level=byte_level, picoring=is_pico,
                     baseline=factory is pico_queue and args.impl == "ours", **result)
            )
            progress(
                f"  push {result['push_median_us']:.2f} µs, pop {result['pop_median_us']:.2f} µs, "
                f"{result['throughput_gb_s']:.2f} GB/s"
            )
    emit("queue", args.impl, rows, notes, {"sizes": sizes, "MiB": MiB})


if __name__ == "__main__":
    main()
