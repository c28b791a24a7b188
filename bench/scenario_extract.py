"""Scenario 1: one contiguous 94 MB chunk out of a 105 MB buffer whose data wraps.

picoring's get_readable_view() hands out the queued bytes as one memoryview without copying.
Without mirroring, wrapped data is two pieces: either keep two memoryviews (no copy, but not
one buffer: a parser or numpy must handle the seam) or copy them into one buffer. Every
copying column below is a real alternative, and each says how many times it copies.
"""

from __future__ import annotations

import picoring

from common import MB, best_time, consume, emit, length, parse_args, picoring_label, progress


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


def two_pieces(cap: int, data: bytes, start: int) -> tuple[bytearray, memoryview, memoryview]:
    """The same wrapped layout in a plain bytearray of `cap` bytes, as its two pieces."""
    buf = bytearray(cap)
    first = min(len(data), cap - start)
    buf[start : start + first] = data[:first]
    buf[: len(data) - first] = data[first:]
    whole = memoryview(buf)
    return buf, whole[start : start + first], whole[: len(data) - first]


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
    progress(f"{label} view: {seconds * 1e6:.2f} µs")

    sizes = [4096, 1 * MB // scale, 16 * MB // scale, chunk]
    sweep_copy = None
    if args.impl == "ours":
        _buf, a, b = two_pieces(cap, data, start)
        assert bytes(a) + bytes(b) == data
        out = bytearray(chunk)

        def copy_into_reused() -> None:
            out[: len(a)] = a
            out[len(a) :] = b

        def baselines():
            yield "two memoryview slices (two pieces, not one buffer)", 0, False, lambda: (
                memoryview(_buf)[start:cap],
                memoryview(_buf)[: len(b)],
            )
            yield 'b"".join((a, b))', 1, True, lambda: b"".join((a, b))
            yield "bytearray slices + concatenation", 2, True, lambda: _buf[start:cap] + _buf[: len(b)]
            yield "copy into a reused preallocated bytearray", 1, True, copy_into_reused
            try:
                import numpy as np
            except ImportError:
                notes.append("numpy is not installed: its column is missing")
                return
            yield "numpy.concatenate of two frombuffer views", 1, True, lambda: np.concatenate(
                (np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8))
            )

        for case, copies, contiguous, fn in baselines():
            result = fn()
            if contiguous:
                assert bytes(result if result is not None else out) == data, case
            calls = view_calls if copies == 0 else 1
            seconds = best_time(fn, repeat, calls)
            rows.append(dict(case=case, copies=copies, contiguous=contiguous, seconds=seconds))
            progress(f"{case}: {seconds * 1e3:.3f} ms")
        sweep_copy = copy_into_reused

    # The view's cost must not depend on how much is queued; copying grows with it.
    sweep = []
    for size in sizes:
        sized = wrapped_ring(buffer_bytes, payload(size), cap - size // 2)
        if sized is None:
            notes.append(f"{label}: the ring refused {size} bytes")
            continue
        view_s = best_time(sized.get_readable_view, repeat, view_calls)
        entry = dict(size=size, view_seconds=view_s)
        if sweep_copy is not None:
            _buf, a, b = two_pieces(cap, payload(size), cap - size // 2)
            out = bytearray(size)
            entry["copy_seconds"] = best_time(copy_into_reused, repeat, 1 if size > MB else 100)
        sweep.append(entry)
        progress(f"view of {size} bytes: {view_s * 1e6:.2f} µs")
        del sized
    emit(
        "extract",
        args.impl,
        rows,
        notes,
        {"chunk": chunk, "buffer": buffer_bytes, "capacity": cap, "start": start, "sweep": sweep},
    )


if __name__ == "__main__":
    main()
