"""Per-call cost of picoring from Python, against collections.deque and a bytearray FIFO.

Runs against whichever ``picoring`` is importable (this project's, or the upstream 0.6 wheel:
only the method names both share are used). To put the upstream wheel in a column of its own:

    python3 -m venv /tmp/upstream && /tmp/upstream/bin/pip install picoring==0.6.0
    .venv/bin/python bench/calls.py --upstream /tmp/upstream/bin/python

Figures are nanoseconds per call (per push+pop pair where two calls are named), the best of
several repeats; read them as ratios within one run. `--quick` (run by `make bench-quick`)
moves a thousandth as much through 2 MB instead of 94 MB: it checks the code, it measures nothing.
"""

import argparse
import collections
import json
import subprocess

import picoring
from common import MB, best_time


# The wrapped view's size in MB, and the divisor of every call count (`--quick` changes both).
BIG_MB = 94
SCALE = 1


def per_call_ns(body, calls, repeats=7):
    """Best-of-`repeats` nanoseconds per call of `body(calls)`, which runs `calls` iterations."""
    calls, repeats = max(1, calls // SCALE), max(1, repeats // SCALE)
    return best_time(lambda: body(calls), repeats) / calls * 1e9


def wrapped_ring(capacity, fill):
    """A ring holding `fill` bytes that wrap past its physical end."""
    ring = picoring.PicoRingByte(capacity)
    cap = ring.capacity()
    skip = cap - fill // 2
    block = bytes(1 << 20)
    pushed = 0
    while pushed < skip:
        n = min(len(block), skip - pushed)
        assert ring.push_bytes(block[:n])
        pushed += n
    ring.advance_tail(skip)
    data = bytes(fill)
    assert ring.push_bytes(data)
    return ring


def picoring_column():
    results = {}
    payload64, payload4k, payload1000 = b"x" * 64, b"y" * 4096, b"z" * 1000

    ring = picoring.PicoRingByte(64 * 1024)
    push, pop, advance = ring.push_bytes, ring.pop_bytes, ring.advance_tail

    def push_pop_64(n):
        for _ in range(n):
            push(payload64)
            pop(64)

    def push_advance_64(n):
        for _ in range(n):
            push(payload64)
            advance(64)

    def push_pop_4k(n):
        for _ in range(n):
            push(payload4k)
            pop(4096)

    queue = picoring.PicoQueueByte(64 * 1024)
    qpush, qpop = queue.push_bulk, queue.pop_bulk

    def bulk_1000(n):
        for _ in range(n):
            qpush(payload1000)
            qpop(1000)

    full = picoring.PicoRingByte(64 * 1024)
    full.push_bytes(bytes(full.capacity()))
    view_small = full.get_readable_view

    def view_64k(n):
        for _ in range(n):
            view_small()

    big = wrapped_ring((BIG_MB + 11) * MB, BIG_MB * MB)
    view_big = big.get_readable_view
    assert len(view_big()) == BIG_MB * MB

    def view_94m(n):
        for _ in range(n):
            view_big()

    results["push_bytes 64 B + pop_bytes 64"] = per_call_ns(push_pop_64, 200_000)
    results["push_bytes 64 B + advance_tail 64"] = per_call_ns(push_advance_64, 200_000)
    results["push_bytes 4 KiB + pop_bytes 4096"] = per_call_ns(push_pop_4k, 100_000)
    results["push_bulk 1000 B + pop_bulk 1000"] = per_call_ns(bulk_1000, 200_000)
    results["get_readable_view, 64 KiB queued"] = per_call_ns(view_64k, 200_000)
    results[f"get_readable_view, {BIG_MB} MB wrapped"] = per_call_ns(view_94m, 200_000)
    results["create + drop, 64 KiB"] = per_call_ns(create_64k(picoring.PicoRingByte), 100_000)
    return results


def create_64k(make):
    """Creates and drops `make(65536)`, `n` times."""
    def run(n):
        for _ in range(n):
            make(65536)
    return run


def deque_column():
    """A deque of chunk objects: the usual pure-Python queue."""
    d = collections.deque()
    append, popleft = d.append, d.popleft
    payload64, payload4k, payload1000 = b"x" * 64, b"y" * 4096, b"z" * 1000

    def pair(payload):
        def run(n):
            for _ in range(n):
                append(payload)
                popleft()
        return run

    small = collections.deque(bytes(4096) for _ in range(16))
    chunks = collections.deque(bytes(MB) for _ in range(BIG_MB))

    def joiner(queued):
        def run(n):
            for _ in range(n):
                b"".join(queued)  # a deque cannot hand out one contiguous view: it must copy
        return run

    return {
        "push_bytes 64 B + pop_bytes 64": per_call_ns(pair(payload64), 200_000),
        "push_bytes 64 B + advance_tail 64": per_call_ns(pair(payload64), 200_000),
        "push_bytes 4 KiB + pop_bytes 4096": per_call_ns(pair(payload4k), 100_000),
        "push_bulk 1000 B + pop_bulk 1000": per_call_ns(pair(payload1000), 200_000),
        "get_readable_view, 64 KiB queued": per_call_ns(joiner(small), 20_000),
        f"get_readable_view, {BIG_MB} MB wrapped": per_call_ns(joiner(chunks), 3, repeats=3),
        "create + drop, 64 KiB": per_call_ns(create_64k(lambda n: collections.deque(maxlen=n)), 100_000),
    }


def bytearray_column():
    """A bytearray FIFO: append at the end, slice and delete at the front."""
    buf = bytearray()
    payload64, payload4k, payload1000 = b"x" * 64, b"y" * 4096, b"z" * 1000

    def pair(payload, n_out, copy=True):
        def run(n):
            for _ in range(n):
                buf.extend(payload)
                if copy:
                    bytes(buf[:n_out])
                del buf[:n_out]
        return run

    full = bytearray(64 * 1024)
    big = bytearray(BIG_MB * MB)

    def view(b):
        def run(n):
            for _ in range(n):
                memoryview(b)
        return run

    return {
        "push_bytes 64 B + pop_bytes 64": per_call_ns(pair(payload64, 64), 200_000),
        "push_bytes 64 B + advance_tail 64": per_call_ns(pair(payload64, 64, False), 200_000),
        "push_bytes 4 KiB + pop_bytes 4096": per_call_ns(pair(payload4k, 4096), 100_000),
        "push_bulk 1000 B + pop_bulk 1000": per_call_ns(pair(payload1000, 1000), 200_000),
        "get_readable_view, 64 KiB queued": per_call_ns(view(full), 200_000),
        f"get_readable_view, {BIG_MB} MB wrapped": per_call_ns(view(big), 200_000),
        "create + drop, 64 KiB": per_call_ns(create_64k(bytearray), 100_000),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the picoring column as JSON")
    parser.add_argument("--upstream", metavar="PYTHON",
                        help="an interpreter whose `picoring` is the upstream 0.6 wheel")
    parser.add_argument("--quick", action="store_true", help="tiny counts and sizes: checks the code")
    args = parser.parse_args()
    global BIG_MB, SCALE
    if args.quick:
        BIG_MB, SCALE = 2, 1000
    if args.json:
        print(json.dumps(picoring_column()))
        return
    columns = {"picoring (this)": picoring_column()}
    if args.upstream:
        cmd = [args.upstream, __file__, "--json"] + (["--quick"] if args.quick else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        columns["upstream 0.6"] = json.loads(out)
    columns["deque"] = deque_column()
    columns["bytearray FIFO"] = bytearray_column()

    rows = list(next(iter(columns.values())))
    width = max(map(len, rows))
    print(f"{'ns per call (pair)':<{width}} | " + " | ".join(f"{c:>15}" for c in columns))
    print("-" * width + "-|-" + "-|-".join("-" * 15 for _ in columns))
    for row in rows:
        cells = []
        for col in columns.values():
            v = col[row]
            cells.append(f"{v:>15,.0f}" if v >= 100 else f"{v:>15.1f}")
        print(f"{row:<{width}} | " + " | ".join(cells))
    print("\ndeque stores chunk objects and has no contiguous view: its view rows are b''.join of"
          f" 16 x 4 KiB and {BIG_MB} x 1 MB chunks;\nbytearray FIFO: extend + bytes(buf[:n]) + del buf[:n];"
          " its views are of an unwrapped bytearray;\ncreate + drop: PicoRingByte(65536), deque(maxlen=65536),"
          " bytearray(65536).")


if __name__ == "__main__":
    main()
