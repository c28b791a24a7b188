"""Scenario 6: the view against copy-based alternatives as the queued size grows, 4 KiB to 1 GiB.

A ring of each size (factors of 4) holds half its capacity, wrapped across the physical end.
picoring's get_readable_view() hands it out as one memoryview without copying; every
alternative that yields one buffer copies both pieces (b"".join, bytearray slicing, a copy into
a reused bytearray, numpy.concatenate, and b"".join of a collections.deque of 4 KiB chunks, as
a deque-based byte FIFO would). Each point is the best of a few short rounds.
"""

from __future__ import annotations

import collections

import picoring

from common import MiB, best_time, emit, fmt_time, parse_args, picoring_label, progress
from scenario_extract import TwoPieces, capacity, has_numpy, payload, wrapped_ring

DEQUE_CHUNK = 4096


def alternatives(pieces: TwoPieces, data: bytes) -> list[tuple[str, object]]:
    """(label, zero-argument call returning one contiguous buffer of the queued bytes)."""
    # At least two chunks: b"".join of a single bytes object returns it without copying.
    step = min(DEQUE_CHUNK, len(data) // 2)
    chunks = collections.deque(data[i : i + step] for i in range(0, len(data), step))
    cases: list[tuple[str, object]] = [
        ('b"".join of the two pieces', pieces.join),
        ("bytearray slices + concatenation", pieces.bytearray_concat),
        ("copy into a reused bytearray", pieces.copy_into_reused),
        (f"b\"\".join of a deque of {DEQUE_CHUNK // 1024} KiB chunks (two halves below 8 KiB)", lambda: b"".join(chunks)),
    ]
    if has_numpy():
        cases.append(("numpy.concatenate", pieces.numpy_concatenate))
    return cases


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    top = 64 * 1024 if args.quick else 1 << 30
    sizes = []
    size = 4096
    while size <= top:
        sizes.append(size)
        size *= 4
    label = picoring_label(args.impl)
    rows: list[dict] = []
    notes: list[str] = []
    for ring_size in sizes:
        queued = ring_size // 2
        data = payload(queued)
        start = ring_size - queued // 2
        ring = wrapped_ring(ring_size, data, start)
        if ring is None:
            notes.append(f"{label}: a {ring_size}-byte ring refused {queued} bytes")
            continue
        cap = capacity(ring)
        if cap != ring_size:
            # A larger ring (page rounding) would not wrap where planned: place the data again.
            start = cap - queued // 2
            ring = wrapped_ring(cap, data, start)
        view = ring.get_readable_view()
        assert view.nbytes == queued and view == data, "the view differs from what was queued"
        del view
        seconds = best_time(ring.get_readable_view, 3, 2000 if not args.quick else 20)
        rows.append(dict(case=f"{label}: get_readable_view()", size=queued, ring=ring_size, seconds=seconds))
        progress(f"{label}: view of {queued} bytes queued in a {ring_size}-byte ring: {fmt_time(seconds)}")
        del ring
        if args.impl == "ours":
            pieces = TwoPieces(cap, data, start)
            number = max(1, 16 * MiB // queued) if not args.quick else 1
            for case, call in alternatives(pieces, data):
                assert bytes(call()) == data, case
                seconds = best_time(call, 3 if queued < 16 * MiB else 2 if queued < 256 * MiB else 1, number)
                rows.append(dict(case=case, size=queued, ring=ring_size, seconds=seconds))
                progress(f"{case}: {fmt_time(seconds)}")
            del pieces
        del data
    emit("curves", args.impl, rows, notes, {"sizes": sizes})


if __name__ == "__main__":
    main()
