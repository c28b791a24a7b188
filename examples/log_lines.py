"""Line-by-line log analysis through a fixed 64 KiB PicoRingByte, lines matched in place.

Reads a file (or generated access-log lines) in 16 KiB chunks straight into the ring's free
space; every complete line is matched by `re` directly on the ring's one contiguous
memoryview, even when it straddles the end.

    python examples/log_lines.py [--quick | PATH]
"""

from __future__ import annotations

import io
import random
import re
import sys
import time
from collections import Counter

import picoring

LINE = re.compile(rb"[^\n]*level=(\w+)[^\n]*?latency_ms=(\d+)[^\n]*\n|[^\n]*\n")


def synthetic_log(lines: int) -> bytes:
    rng = random.Random(7)  # the same log every run
    levels = ["INFO", "INFO", "WARN", "ERROR"]
    paths = ["/", "/api/v1/items", "/static/app.js?cache=0123456789abcdef"]
    return "".join(
        f"2026-01-01T00:00:{i % 60:02}Z level={rng.choice(levels)} svc=api path={rng.choice(paths)} "
        f"latency_ms={rng.randrange(500)} seq={i}\n"
        for i in range(lines)
    ).encode()


def read_chunk(ring: picoring.PicoRingByte, source: io.BufferedIOBase) -> int:
    """Reads up to 16 KiB from `source` straight into the ring's free space and publishes it."""
    if ring.free_len() == 0:
        raise SystemExit(f"a line is longer than the {ring.capacity()}-byte ring")
    with ring.get_writable_view(min(16 * 1024, ring.free_len())) as free:
        received = source.readinto(free) or 0
    ring.commit(received)  # only after the writable view is released
    return received


def main() -> None:
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    expected = None
    if paths:
        source, name = open(paths[0], "rb"), paths[0]
    else:
        expected = 20_000 if "--quick" in sys.argv else 500_000
        source, name = io.BytesIO(synthetic_log(expected)), f"{expected} generated lines"
    ring = picoring.PicoRingByte(64 * 1024)
    levels: Counter = Counter()
    lines = total = latency = 0
    start = time.perf_counter()
    while read_chunk(ring, source):
        consumed = 0
        with ring.get_readable_view() as view:
            for match in LINE.finditer(view):
                lines += 1
                if match[1]:
                    levels[match[1].decode()] += 1
                    latency += int(match[2])
                consumed = match.end()
        ring.advance_tail(consumed)
        total += consumed
    lines += len(ring) > 0  # a last line without a newline
    secs = time.perf_counter() - start
    if expected is not None and lines != expected:
        raise SystemExit(f"counted {lines} lines, expected {expected}")
    print(
        f"log_lines.py: {lines} lines ({total / 1e6:.1f} MB) from {name} in {secs:.3f} s: "
        f"{lines / secs / 1e3:.0f} k lines/s; by level {dict(levels)}, "
        f"mean latency {latency / max(sum(levels.values()), 1):.1f} ms"
    )


if __name__ == "__main__":
    main()
