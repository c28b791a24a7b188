"""PicoListByte's bytes methods against bytearray's: per call (a 16-byte list) and in bulk (1 MiB).

Each method runs on a `bytearray` and on a `PicoListByte` holding the same bytes; the two are
timed in interleaved rounds (bytearray, then ours, every round), and the table shows the median
of the rounds, the spread of our rounds (worst / best) and the ratio of our median to
bytearray's (below 1: faster than bytearray). Searches, tests and the methods that build new
bytes run on the list in place (only join, splitlines, expandtabs and `%` copy the list and call
bytearray's method on the copy); `translate` and `%` return a new PicoListByte (a fresh
reservation).

    python bench/scenario_bytes_methods.py [--quick]      # table on stderr, JSON on stdout
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

from common import MiB, emit, fmt_time, parse_args, progress

TABLE = bytes(range(256)).replace(b"o", b"0")

# (method, call) pairs: each call takes the object and returns the method's result.
METHODS: list[tuple[str, Callable[[Any], Any]]] = [
    ("find (absent)", lambda b: b.find(b"xyz")),
    ("rfind", lambda b: b.rfind(b"h")),
    ("count", lambda b: b.count(b"o")),
    ("startswith", lambda b: b.startswith(b"hel")),
    ("endswith", lambda b: b.endswith((b"x", b"c "))),
    ("index", lambda b: b.index(b"w")),
    ("split()", lambda b: b.split()),
    ("split(b' ', 2)", lambda b: b.split(b" ", 2)),
    ("partition", lambda b: b.partition(b" ")),
    ("strip", lambda b: b.strip()),
    ("replace", lambda b: b.replace(b"o", b"0")),
    ("upper", lambda b: b.upper()),
    ("isalpha", lambda b: b.isalpha()),
    ("hex", lambda b: b.hex()),
    ("decode", lambda b: b.decode("latin-1")),
    ("translate", lambda b: b.translate(TABLE)),
    ("center", lambda b: b.center(len(b) + 10)),
]


def rounds(fns: list[Callable[[], Any]], number: int, repeat: int) -> list[list[float]]:
    """Seconds per call of each of `fns`, one entry per round, the functions interleaved."""
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out[k].append((time.perf_counter() - start) / number)
    return out


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    rows: list[dict] = []
    notes: list[str] = []
    try:
        from picoring import PicoListByte

        PicoListByte(b"a").find(b"a")
    except (ImportError, AttributeError, TypeError):  # upstream 0.6: no such methods or forms
        emit("bytes_methods", args.impl, rows, ["PicoListByte has no bytes methods here"], {"markdown": ""})
        return
    repeat = 3 if args.quick else 9
    sizes = [("per call (16 B)", 16, 200 if args.quick else 20_000), ("bulk (1 MiB)", MiB, 2 if args.quick else 20)]
    text = b"hello world abc "
    for size_label, size, number in sizes:
        data = (text * (size // len(text) + 1))[:size]
        theirs, ours = bytearray(data), PicoListByte(data)
        for name, call in METHODS:
            assert call(ours) == call(theirs), name
            times = rounds([lambda: call(theirs), lambda: call(ours)], number, repeat)
            base, mine = statistics.median(times[0]), statistics.median(times[1])
            spread = max(times[1]) / min(times[1])
            rows.append(dict(size=size_label, method=name, bytearray=base, picoring=mine, spread=spread, ratio=mine / base))
            progress(f"{size_label} {name}: bytearray {fmt_time(base)}, PicoListByte {fmt_time(mine)} ({mine / base:.2f}x)")
    lines = [
        "## PicoListByte bytes methods against bytearray",
        "",
        "Median of interleaved rounds; ratio = PicoListByte / bytearray (below 1: faster); spread = "
        "worst / best of our rounds.",
        "",
        "| size | method | bytearray | PicoListByte | ratio | spread |",
        "|:--|:--|--:|--:|--:|--:|",
    ]
    lines += [
        f"| {r['size']} | {r['method']} | {fmt_time(r['bytearray'])} | {fmt_time(r['picoring'])} | "
        f"{r['ratio']:.2f} | {r['spread']:.2f} |"
        for r in rows
    ]
    emit("bytes_methods", args.impl, rows, notes, {"markdown": "\n".join(lines) + "\n"})


if __name__ == "__main__":
    main()
