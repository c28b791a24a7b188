"""Scenario: `PicoList`'s array.array methods against `array.array`, per call and bulk.

The per-call rows run statements compiled by timeit on 100-item lists; the others time a
batch of calls on larger lists.

Each operation runs on both types in interleaved rounds (array, PicoList, array, ...) on the same
data, typecode 'q'; a round times a batch of calls on a freshly built container. The table shows
each type's median seconds per call over the rounds, the ratio of the medians (PicoList / array:
below 1 is faster) and the spread of the ratio (its lowest and highest round).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import timeit
from array import array
from typing import Any, Callable

from common import emit, fmt_time, parse_args, progress

# (operation, size in items, calls per round, setup(cls, size) -> state, call(state)).
Case = tuple[str, int, int, Callable[[Any, int], Any], Callable[[Any], Any]]


def filled(cls: Any, n: int) -> Any:
    return cls("q", range(n))


def with_values(cls: Any, n: int) -> Any:
    """A filled container and the values in its second half, in order (to remove)."""
    return filled(cls, n), iter(range(n // 2, n))


def cases(n: int, big: int, path: str) -> list[Case]:
    src = array("q", range(20))
    raw = array("q", range(big)).tobytes()

    def from_file(cls: Any, _n: int) -> Any:
        f = open(path, "rb")
        return cls("q"), f

    def read_file(state: Any) -> None:
        lst, f = state
        f.seek(0)
        lst.fromfile(f, big)
        f.close()

    return [
        ("insert(len // 2, x)", n, 200, filled, lambda a: a.insert(len(a) // 2, 7)),
        ("insert(0, x)", n, 200, filled, lambda a: a.insert(0, 7)),
        ("del a[len // 2]", n, 200, filled, lambda a: a.__delitem__(len(a) // 2)),
        ("del a[i:i + 1000]", n, 200, filled, lambda a: a.__delitem__(slice(1000, 2000))),
        ("a[i:i + 10] = 20 items", n, 200, filled, lambda a: a.__setitem__(slice(1000, 1010), src)),
        ("pop(0)", n, 200, filled, lambda a: a.pop(0)),
        ("remove(x) (x in the middle)", n, 50, with_values, lambda s: s[0].remove(next(s[1]))),
        ("index(x) (x at the end)", n, 20, filled, lambda a: a.index(n - 1)),
        ("count(x)", n, 20, filled, lambda a: a.count(n - 1)),
        ("x in a (x at the end)", n, 20, filled, lambda a: (n - 1) in a),
        ("reverse()", n, 20, filled, lambda a: a.reverse()),
        ("tobytes()", big, 3, filled, lambda a: a.tobytes()),
        ("frombytes(data)", big, 1, lambda cls, _n: cls("q"), lambda a: a.frombytes(raw)),
        ("fromfile(f, n)", big, 1, from_file, read_file),
        ("a + b", big, 2, filled, lambda a: a + a),
        ("a * 4", big // 4, 2, filled, lambda a: a * 4),
        ("a *= 2", big // 2, 1, filled, lambda a: a.__imul__(2)),
        ("tolist()", n, 5, filled, lambda a: a.tolist()),
        ("a[i:j] (copy of 1000)", n, 200, filled, lambda a: a[1000:2000]),
    ]


# Per-call operations on a 100-item list, as statements compiled by timeit (no Python
# function call around them, which would hide the cost of a fast one): (operation, statement);
# `a` and `b` are two lists of the type measured, `b` a copy of `a`, `c` four items.
SMALL = 100
PER_CALL = [
    ("a[i]", "a[5]"),
    ("a[i] = x", "a[5] = 7"),
    ("len(a)", "len(a)"),
    ("a == b", "a == b"),
    ("a[i:j] (8 items)", "a[2:10]"),
    ("a[::2]", "a[::2]"),
    ("a + b", "a + b"),
    ("list(a) (iteration)", "list(a)"),
    ("tolist()", "a.tolist()"),
    ("tobytes()", "a.tobytes()"),
    ("bytes(a)", "bytes(a)"),
    ("memoryview(a)", "memoryview(a).release()"),
    ("byteswap()", "a.byteswap()"),
    ("buffer_info()", "a.buffer_info()"),
    ("extend(4 items) + del a[-4:]", "a.extend(c); del a[-4:]"),
]


def per_call(cls: Any, stmt: str, number: int) -> float:
    a = cls("q", range(SMALL))
    namespace = {"a": a, "b": cls("q", a), "c": cls("q", range(4))}
    return timeit.Timer(stmt, globals=namespace).timeit(number) / number


def measure(cls: Any, case: Case) -> float:
    _, size, calls, setup, call = case
    state = setup(cls, size)
    start = time.perf_counter()
    for _ in range(calls):
        call(state)
    return (time.perf_counter() - start) / calls


def row(name: str, items: int, times: dict[str, list[float]]) -> dict[str, Any]:
    """A table row from interleaved rounds' seconds per call of each type."""
    ours, theirs = statistics.median(times["PicoList"]), statistics.median(times["array"])
    ratios = [p / a for p, a in zip(times["PicoList"], times["array"])]
    progress(f"  array {fmt_time(theirs)}, PicoList {fmt_time(ours)}: {ours / theirs:.2f}x")
    return dict(
        case=name,
        items=items,
        array_seconds=theirs,
        picolist_seconds=ours,
        ratio=ours / theirs,
        ratio_low=min(ratios),
        ratio_high=max(ratios),
    )


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    if args.impl == "upstream":
        emit("list_edit", args.impl, [], ["picoring 0.6 has none of these methods"], {"markdown": ""})
        return
    import picoring

    n, big, rounds = (20_000, 200_000, 3) if args.quick else (200_000, 8_000_000, 7)
    fd, path = tempfile.mkstemp(prefix="picoring-bench-")
    with os.fdopen(fd, "wb") as f:
        array("q", range(big)).tofile(f)
    rows = []
    number = 2_000 if args.quick else 50_000
    for name, stmt in PER_CALL:
        progress(f"list per call: {name} ...")
        times = {"array": [], "PicoList": []}
        for _ in range(rounds):
            times["array"].append(per_call(array, stmt, number))
            times["PicoList"].append(per_call(picoring.PicoList, stmt, number))
        rows.append(row(f"per call: {name}", SMALL, times))
    try:
        for case in cases(n, big, path):
            name = case[0]
            progress(f"list edit: {name} ...")
            times: dict[str, list[float]] = {"array": [], "PicoList": []}
            for _ in range(rounds):
                times["array"].append(measure(array, case))
                times["PicoList"].append(measure(picoring.PicoList, case))
            rows.append(row(name, case[1], times))
    finally:
        os.unlink(path)
    lines = [
        "## PicoList against array.array (typecode 'q')",
        "",
        f"Median time per call over {rounds} interleaved rounds; ratio = PicoList / array.array "
        "(below 1: PicoList is faster), with its lowest and highest round.",
        "",
        "| operation | items | array.array | PicoList | ratio | rounds' range |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['items']:,} | {fmt_time(r['array_seconds'])} | "
            f"{fmt_time(r['picolist_seconds'])} | {r['ratio']:.2f} | "
            f"{r['ratio_low']:.2f}-{r['ratio_high']:.2f} |"
        )
    emit("list_edit", args.impl, rows, [], {"items": n, "big": big, "rounds": rounds, "markdown": "\n".join(lines)})


if __name__ == "__main__":
    main()
