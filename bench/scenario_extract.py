"""Scenario 1: one contiguous 94 MB chunk out of a 105 MB buffer whose data wraps.

picoring's get_readable_view() hands out the queued bytes as one memoryview without copying.
Without mirroring, wrapped data is two pieces: either keep two memoryviews (no copy, but not
one buffer: a parser or numpy must handle the seam) or copy them into one buffer. Every
copying column below is a real alternative, and each says how many times it copies.
"""

from __future__ import annotations

import picoring

from common import MB, best_time, fmt_time, consume, emit, length, parse_args, picoring_label, progress


def payload(n: int) -> bytes:
    """n bytes of a repeating 0..255 pattern, to check every view and copy byte for byte."""
    return (bytes(range(256)) * (n // 256 + 1))[:n]


def capacity(ring) -> int:
    cap = ring.capacity
    return cap() if callable(cap) else cap


def wrapped_ring(buffer_bytes: int, data: bytes, start: int):
    """A picoring byte ring holding `data` from position `start`, so it wraps if
    start + len(data) > capacity. Returns the ring, or None if the ring refused the bytes."""
    ring = picoring.PicoRingByte(buffer_bytes)
    filler = bytes(start)
    if ring.push_bytes(filler) is False:
        return None
    consume(ring, start)
    if ring.push_bytes(data) is False or length(ring) != len(data):
        return None
    return ring


class TwoPieces:
    """The same wrapped layout in a plain bytearray of `cap` bytes, and every way to read it
    without mirroring: its bytes are two pieces, `first` (up to the end) and `second`."""

    def __init__(self, cap: int, data: bytes, start: int) -> None:
        self.buf = bytearray(cap)
        n_first = min(len(data), cap - start)
        self.buf[start : start + n_first] = data[:n_first]
        self.buf[: len(data) - n_first] = data[n_first:]
        self.start, self.n_first, self.n_second = start, n_first, len(data) - n_first
        self.whole = memoryview(self.buf)
        self.first = self.whole[start : start + n_first]
        self.second = self.whole[: self.n_second]
        self.out = bytearray(len(data))

    def two_memoryviews(self):
        return self.whole[self.start : self.start + self.n_first], self.whole[: self.n_second]

    def join(self) -> bytes:
        return b"".join((self.first, self.second))

    def bytearray_concat(self) -> bytearray:
        return self.buf[self.start : self.start + self.n_first] + self.buf[: self.n_second]

    def copy_into_reused(self) -> bytearray:
        self.out[: self.n_first] = self.first
        self.out[self.n_first :] = self.second
        return self.out

    def numpy_concatenate(self):
        import numpy as np

        return np.concatenate((np.frombuffer(self.first, np.uint8), np.frombuffer(self.second, np.uint8)))


# (label, copies of each byte, one contiguous buffer?, TwoPieces method)
BASELINES = [
    ("two memoryview slices (two pieces, not one buffer)", 0, False, TwoPieces.two_memoryviews),
    ('b"".join((a, b))', 1, True, TwoPieces.join),
    ("bytearray slices + concatenation", 2, True, TwoPieces.bytearray_concat),
    ("copy into a reused preallocated bytearray", 1, True, TwoPieces.copy_into_reused),
    ("numpy.concatenate of two frombuffer views", 1, True, TwoPieces.numpy_concatenate),
]


def has_numpy() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    scale = 100 if args.quick else 1
    buffer_bytes, chunk, start = 105 * MB // scale, 94 * MB // scale, 60 * MB // scale
    repeat, view_calls = (2, 200) if args.quick else (5, 20_000)
    label = picoring_label(args.impl)
    rows: list[dict] = []
    notes: list[str] = []
    data = payload(chunk)

    progress(f"extract: {chunk / MB:.2f} MB wrapped in a {buffer_bytes / MB:.2f} MB ring ({label})")
    ring = wrapped_ring(buffer_bytes, data, start)
    if ring is None:
        notes.append(f"{label}: the ring refused {chunk} bytes")
        emit("extract", args.impl, rows, notes, {"chunk": chunk, "buffer": buffer_bytes})
        return
    cap = capacity(ring)
    view = ring.get_readable_view()
    assert view.contiguous and view.nbytes == chunk, "view is not one contiguous chunk"
    assert view == data, "view bytes differ from what was pushed"
    assert start + chunk > cap, "the data does not wrap: the scenario would prove nothing"
    del view
    seconds = best_time(ring.get_readable_view, repeat, view_calls)
    rows.append(dict(case=f"{label}: get_readable_view()", copies=0, contiguous=True, seconds=seconds))
    progress(f"{label} view: {fmt_time(seconds)}")

    if args.impl == "ours":  # the baselines do not depend on the picoring version
        pieces = TwoPieces(cap, data, start)
        for case, copies, contiguous, method in BASELINES:
            if method is TwoPieces.numpy_concatenate and not has_numpy():
                notes.append("numpy is not installed: its row is missing")
                continue
            result = method(pieces)
            if contiguous:
                assert bytes(result) == data, case
            seconds = best_time(lambda: method(pieces), repeat, view_calls if copies == 0 else 1)
            rows.append(dict(case=case, copies=copies, contiguous=contiguous, seconds=seconds))
            progress(f"{case}: {fmt_time(seconds)}")

    # The view's cost must not depend on how much is queued; copying grows with it.
    sweep = []
    for size in [4096, 1 * MB // scale, 16 * MB // scale, chunk]:
        start_at = cap - size // 2
        sized = wrapped_ring(buffer_bytes, payload(size), start_at)
        if sized is None:
            notes.append(f"{label}: the ring refused {size} bytes")
            continue
        entry = dict(size=size, view_seconds=best_time(sized.get_readable_view, repeat, view_calls))
        del sized
        if args.impl == "ours":
            pieces = TwoPieces(cap, payload(size), start_at)
            entry["copy_seconds"] = best_time(pieces.copy_into_reused, repeat, 1 if size > MB else 100)
        sweep.append(entry)
        progress(f"view of {size} bytes: {fmt_time(entry['view_seconds'])}")
    emit(
        "extract",
        args.impl,
        rows,
        notes,
        {"chunk": chunk, "buffer": buffer_bytes, "capacity": cap, "start": start, "sweep": sweep},
    )


if __name__ == "__main__":
    main()
