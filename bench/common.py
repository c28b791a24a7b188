"""Helpers shared by the benchmark scenarios (and the timing of calls.py and typed.py):
arguments, progress lines, timing, results.

Each scenario script prints progress lines on stderr and, at the end, one JSON document on
stdout: {"scenario": ..., "impl": ..., "rows": [...], "notes": [...]}. bench/run.py collects them.
The same script runs in two interpreters: ours (.venv, `--impl ours`) and the upstream picoring
0.6 wheel from PyPI (.venv-upstream, `--impl upstream`), which also imports as `picoring`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable

MB = 1_000_000
MiB = 1 << 20


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the code, not speed")
    parser.add_argument(
        "--impl",
        choices=["ours", "upstream"],
        default="ours",
        help="'upstream': only the picoring columns, labelled as the PyPI 0.6 wheel",
    )
    parser.add_argument("--case", help="run one case in this process (used for fresh subprocesses)")
    parser.add_argument("--items", type=int, help="override the item count (list growth)")
    return parser.parse_args()


def fmt_time(seconds: float) -> str:
    """A duration with a unit that suits it: 12.3 ns, 456 ns, 7.89 µs, 1.23 ms, 4.56 s."""
    if seconds < 1e-7:
        return f"{seconds * 1e9:.1f} ns"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def progress(message: str) -> None:
    """One progress line on stderr, so stdout stays machine-readable."""
    print(f"  {message}", file=sys.stderr, flush=True)


def picoring_label(impl: str) -> str:
    return "picoring 0.6 (PyPI)" if impl == "upstream" else "picoring"


def picoring_version() -> str:
    try:
        from importlib.metadata import version

        return version("picoring")
    except Exception:  # not installed as a distribution (e.g. a develop build)
        return "unknown"


def best_time(fn: Callable[[], Any], repeat: int, number: int = 1) -> float:
    """Seconds per call of `fn`: the best of `repeat` rounds of `number` calls.

    The best round, not the mean: on a shared 2-core machine the noise only ever adds time.
    """
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def rss_now_kib() -> int:
    return _status_kib("VmRSS")


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far (VmHWM), in KiB."""
    return _status_kib("VmHWM")


def _status_kib(field: str) -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    # Not Linux: ru_maxrss (KiB on Linux, bytes on macOS) is the only portable peak figure.
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def emit(scenario: str, impl: str, rows: list[dict], notes: list[str], params: dict) -> None:
    """The scenario's result document, as the last thing on stdout."""
    doc = {
        "scenario": scenario,
        "impl": impl,
        "picoring_version": picoring_version(),
        "python": sys.version.split()[0],
        "pid": os.getpid(),
        "params": params,
        "rows": rows,
        "notes": notes,
    }
    print(json.dumps(doc))


def consume(ring: Any, n: int) -> None:
    """Drops `n` bytes from the front of a picoring byte ring, whatever this version calls it."""
    for name in ("consume", "advance_tail"):
        method = getattr(ring, name, None)
        if method is not None:
            method(n)
            return
    ring.pop_bytes(n)


def length(obj: Any) -> int:
    """len() for our classes, .len() for the upstream wheel (which has no __len__)."""
    try:
        return len(obj)
    except TypeError:
        return obj.len()
