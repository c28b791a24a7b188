"""Typed lists and rings against their usual Python stand-ins; prints a table.

    .venv/bin/python bench/typed.py [--items 50000000] [--steps 20000]

Part 1: building a list of N int64 (`PicoList('q').extend`) from a numpy array (one copy in
Rust), from a `range` (generated in Rust when its ends fit) and from an iterator over it (one
Python int at a time), against `array.array('q')` and numpy.
Part 2: a (1024, 2) float32 frame stream: push one block, then read the queued frames as a numpy
array, against `numpy_ringbuffer.RingBuffer` (from PyPI; the column is skipped when it is not
installed: `.venv/bin/pip install numpy_ringbuffer`) and a `collections.deque` of arrays.
Figures are per call, best of a few runs; read them as ratios.
"""

import argparse
import array
import collections

import numpy as np
from common import best_time as best

from picoring import PicoList, PicoRing

try:
    from numpy_ringbuffer import RingBuffer
except ImportError:
    RingBuffer = None


def list_rows(n, repeat):
    source = np.arange(n, dtype=np.int64)

    def pico_buffer():
        PicoList("q").extend(source)

    def pico_range():
        PicoList("q").extend(range(n))

    def array_range():
        array.array("q").extend(range(n))

    def array_buffer():
        array.array("q").frombytes(memoryview(source).cast("B"))

    def pico_iter():
        PicoList("q").extend(iter(range(n)))

    def array_iter():
        array.array("q").extend(iter(range(n)))

    def numpy_arange():
        np.arange(n, dtype=np.int64)

    def numpy_fromiter():
        np.fromiter(range(n), dtype=np.int64, count=n)

    return [
        ("PicoList('q').extend(numpy array)", best(pico_buffer, repeat)),
        ("array.array('q').frombytes(numpy array)", best(array_buffer, repeat)),
        ("np.arange (no Python ints at all)", best(numpy_arange, repeat)),
        ("PicoList('q').extend(range)", best(pico_range, repeat)),
        ("array.array('q').extend(range)", best(array_range, repeat)),
        ("np.fromiter(range)", best(numpy_fromiter, repeat)),
        ("PicoList('q').extend(iter(range))", best(pico_iter, repeat)),
        ("array.array('q').extend(iter(range))", best(array_iter, repeat)),
    ]


def look(ring):
    """Reads the ring's queued frames as a numpy array without copying, then lets go of it."""
    view = ring.get_readable_view()
    a = np.asarray(view)
    a[-1, 1]
    del a
    view.release()


def frame_rows(steps, repeat):
    block = np.random.default_rng(1).standard_normal((1024, 2)).astype(np.float32)
    rows = {}

    # FIFO: push a block, look at the queued frames as an array, drop them.
    ring = PicoRing("f", 4096, channels=2)

    def pico_fifo():
        for _ in range(steps):
            ring.push(block)
            look(ring)
            ring.consume(1024)

    def pico_pop():
        for _ in range(steps):
            ring.push(block)
            ring.pop(1024)[-1, 1]

    fifo = collections.deque()

    def deque_fifo():
        for _ in range(steps):
            fifo.append(block.copy())  # a ring owns its data: copy in, as push does
            fifo.popleft()[-1, 1]

    rows["FIFO: push + zero-copy read + consume"] = {
        "PicoRing": best(pico_fifo, repeat) / steps,
        "deque of arrays": best(deque_fifo, repeat) / steps,
    }
    rows["FIFO: push + pop (copy out)"] = {"PicoRing": best(pico_pop, repeat) / steps}

    # Rolling window: keep the latest 4096 frames, read all of them as one array each step.
    window = PicoRing("f", 4096, channels=2, overwrite=True)

    def pico_window():
        for _ in range(steps):
            window.push(block)
            look(window)

    blocks = collections.deque(maxlen=4)

    def deque_window():
        for _ in range(steps):
            blocks.append(block.copy())
            np.concatenate(blocks)[-1, 1]

    window_row = {
        "PicoRing": best(pico_window, repeat) / steps,
        "deque of arrays": best(deque_window, repeat) / steps,
    }
    if RingBuffer is not None:
        rb = RingBuffer(4096, dtype=(np.float32, 2), allow_overwrite=True)

        def numpy_ringbuffer_window():
            for _ in range(steps):
                rb.extend(block)
                np.asarray(rb)[-1, 1]

        window_row["numpy_ringbuffer"] = best(numpy_ringbuffer_window, repeat) / steps
    rows["window of 4096 frames: push + read all"] = window_row
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000_000)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"Part 1: {args.items:,} int64 into a list (best of {min(args.repeat, 2)})")
    rows = list_rows(args.items, min(args.repeat, 2))
    reference = dict(rows)
    print(f"{'case':44} {'seconds':>9} {'vs PicoList same input':>24}")
    for name, seconds in rows:
        if name.endswith("extend(iter(range))"):
            same = "PicoList('q').extend(iter(range))"
        elif "array)" in name or "arange" in name:
            same = "PicoList('q').extend(numpy array)"
        else:
            same = "PicoList('q').extend(range)"
        print(f"{name:44} {seconds:9.3f} {seconds / reference[same]:23.2f}x")

    print(f"\nPart 2: (1024, 2) float32 blocks, per step (best of {args.repeat})")
    columns = ["PicoRing", "deque of arrays", "numpy_ringbuffer"]
    if RingBuffer is None:
        print("(numpy_ringbuffer not installed: its column is empty)")
    print(f"{'case':42}" + "".join(f"{c:>18}" for c in columns))
    for name, row in frame_rows(args.steps, args.repeat).items():
        cells = "".join(
            f"{row[c] * 1e6:15.2f} us" if c in row else f"{'-':>18}" for c in columns
        )
        print(f"{name:42}{cells}")


if __name__ == "__main__":
    main()
