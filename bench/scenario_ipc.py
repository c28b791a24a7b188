"""Scenario 4: messages between two processes: SharedRingByte against multiprocessing and faster-fifo.

A child process (started with 'fork', before any timing) sends N messages of one size; the
parent receives them. The clock starts when the first message arrives and stops at the last, so
process start-up is not counted. Every message carries its sequence number in its first bytes
and the last one is checked. Rounds are interleaved (round 1 of every case, then round 2, ...)
so that a noisy moment on the machine hits every case alike; the table gives the median round
and the spread (min-max) across rounds.

Cases, what each does with a message:
- SharedRingByte write / read(n): copied into the ring, copied out into a new bytes object.
- SharedRingByte write / view + advance_tail: copied in, read in place (no copy out).
- multiprocessing.Queue put / get: pickled, written to a pipe by a feeder thread, unpickled.
- multiprocessing.Pipe send_bytes / recv_bytes_into: through a socket, into a reused buffer.
- faster_fifo.Queue put / get, raw bytes (dumps and loads are bytes copies, no pickling): its
  fastest configuration for bytes. Skipped, with the reason, when faster-fifo is not installed.
- memcpy (one process, one thread): the same bytes copied once from buffer to buffer, the
  reference for the 1 MiB aim (moving at least half as fast as memcpy).

numpy frames (1024 x 2 float32, 8 KiB): SharedRingByte write(array) / numpy.frombuffer over the
readable view; SharedRing (typed frames) push(array) / numpy.asarray of its (frames, channels)
view; a multiprocessing.Queue of arrays; a multiprocessing.shared_memory array of slots
with a Queue of filled slot indices and a Queue of free ones (what people hand-roll today).
"""

from __future__ import annotations

import multiprocessing
import statistics
import struct
import sys
import time

from common import MiB, emit, parse_args, progress

# Message size -> messages per round (full run, --quick).
SIZES = {64: (100_000, 2_000), 4096: (40_000, 1_000), MiB: (600, 20)}
FRAMES = (20_000, 500)  # numpy frames per round
ROUNDS = (5, 1)
FRAME_SHAPE = (1024, 2)


def message(size: int) -> bytearray:
    return bytearray(size)


# Each case: sender(channel, size, count) runs in the child; open(size) builds the channel in the
# parent before the fork, and receive(channel, size, count, warm) returns (seconds, last sequence
# number, bytes in the last message), timing the last `count - warm` messages only.


def timed(one, count, warm):
    """Calls `one()` `warm` times untimed, then `count - warm` times timed; returns the seconds
    and the last result."""
    for _ in range(warm):
        last = one()
    start = time.perf_counter()
    for _ in range(count - warm):
        last = one()
    return time.perf_counter() - start, last


def ring_capacity(size: int) -> int:
    return max(1 << 20, 8 * size)


def ring_open(size):
    import picoring

    return picoring.SharedRingByte(ring_capacity(size))


def ring_send(ring, size, count):
    msg = message(size)
    for i in range(count):
        struct.pack_into("<Q", msg, 0, i)
        ring.write(msg)
    ring.close()


def ring_receive_read(ring, size, count, warm):
    seconds, data = timed(lambda: ring.read(size), count, warm)
    return seconds, struct.unpack_from("<Q", data)[0], len(data)


def ring_receive_into(ring, size, count, warm):
    buf = bytearray(size)
    seconds, n = timed(lambda: ring.readinto(buf), count, warm)
    return seconds, struct.unpack_from("<Q", buf)[0], n


def ring_receive_view(ring, size, count, warm):
    def one():
        ring.wait_readable(size)
        with ring.get_readable_view() as view:
            seq = struct.unpack_from("<Q", view)[0]
        ring.advance_tail(size)
        return seq

    seconds, seq = timed(one, count, warm)
    return seconds, seq, size


def queue_open(size):
    return multiprocessing.get_context("fork").Queue()


def queue_send(q, size, count):
    msg = message(size)
    for i in range(count):
        struct.pack_into("<Q", msg, 0, i)
        q.put(bytes(msg))
    q.close()
    q.join_thread()


def queue_receive(q, size, count, warm):
    seconds, data = timed(lambda: q.get(), count, warm)
    return seconds, struct.unpack_from("<Q", data)[0], len(data)


def pipe_open(size):
    return multiprocessing.get_context("fork").Pipe(duplex=False)


def pipe_send(ends, size, count):
    _, send = ends
    msg = message(size)
    for i in range(count):
        struct.pack_into("<Q", msg, 0, i)
        send.send_bytes(msg)
    send.close()


def pipe_receive(ends, size, count, warm):
    recv, send = ends
    send.close()
    buf = bytearray(size)
    seconds, n = timed(lambda: recv.recv_bytes_into(buf), count, warm)
    return seconds, struct.unpack_from("<Q", buf)[0], n


def fifo_open(size):
    import faster_fifo

    return faster_fifo.Queue(max_size_bytes=max(1 << 20, 8 * (size + 64)), dumps=bytes, loads=bytes)


def fifo_send(q, size, count):
    msg = message(size)
    for i in range(count):
        struct.pack_into("<Q", msg, 0, i)
        q.put(msg, timeout=60)


def fifo_receive(q, size, count, warm):
    seconds, data = timed(lambda: q.get(timeout=60), count, warm)
    return seconds, struct.unpack_from("<Q", data)[0], len(data)


# The reference row at 1 MiB: one copy in one process, into successive places of an area as
# large as the ring (what a ring write does), timed in the same interleaved rounds.
MEMCPY = "memcpy in one process (reference)"

BYTE_CASES = {
    "SharedRingByte write / read(n)": (ring_open, ring_send, ring_receive_read),
    "SharedRingByte write / readinto(buffer)": (ring_open, ring_send, ring_receive_into),
    "SharedRingByte write / view + advance_tail": (ring_open, ring_send, ring_receive_view),
    "multiprocessing.Queue put / get": (queue_open, queue_send, queue_receive),
    "multiprocessing.Pipe send_bytes / recv_bytes_into": (pipe_open, pipe_send, pipe_receive),
    "faster_fifo.Queue put / get (raw bytes)": (fifo_open, fifo_send, fifo_receive),
    MEMCPY: MEMCPY,
}
BASELINE = "SharedRingByte write / read(n)"


# numpy frames.


def frame(i):
    import numpy as np

    out = np.empty(FRAME_SHAPE, dtype=np.float32)
    out[:] = i
    return out


def frames_ring_open(_size):
    import picoring

    return picoring.SharedRingByte(1 << 20)


def frames_ring_send(ring, _size, count):
    block = frame(0)
    for i in range(count):
        block[0, 0] = i
        ring.write(block)
    ring.close()


def frames_ring_receive(ring, _size, count, warm):
    import numpy as np

    nbytes = FRAME_SHAPE[0] * FRAME_SHAPE[1] * 4

    def one():
        ring.wait_readable(nbytes)
        with ring.get_readable_view() as view:
            arr = np.frombuffer(view, dtype=np.float32, count=nbytes // 4).reshape(FRAME_SHAPE)
            seq = int(arr[0, 0])
            del arr
        ring.advance_tail(nbytes)
        return seq

    seconds, seq = timed(one, count, warm)
    return seconds, seq, nbytes


def frames_typed_open(_size):
    import picoring

    return picoring.SharedRing("f", (1 << 20) // 8, channels=FRAME_SHAPE[1])


def frames_typed_send(ring, _size, count):
    block = frame(0)
    for i in range(count):
        block[0, 0] = i
        ring.push(block)
    ring.close()


def frames_typed_receive(ring, _size, count, warm):
    import numpy as np

    frames = FRAME_SHAPE[0]

    def one():
        ring.wait_readable(frames)
        with ring.get_readable_view() as view:
            arr = np.asarray(view)[:frames]
            seq = int(arr[0, 0])
            del arr
        ring.consume(frames)
        return seq

    seconds, seq = timed(one, count, warm)
    return seconds, seq, frames * FRAME_SHAPE[1] * 4


def frames_queue_send(q, _size, count):
    block = frame(0)
    for i in range(count):
        block[0, 0] = i
        q.put(block)
    q.close()
    q.join_thread()


def frames_queue_receive(q, _size, count, warm):
    seconds, arr = timed(lambda: q.get(), count, warm)
    return seconds, int(arr[0, 0]), arr.nbytes


SLOTS = 64


def shm_open(_size):
    from multiprocessing import shared_memory

    ctx = multiprocessing.get_context("fork")
    shm = shared_memory.SharedMemory(create=True, size=SLOTS * FRAME_SHAPE[0] * FRAME_SHAPE[1] * 4)
    filled, free = ctx.Queue(), ctx.Queue()
    for slot in range(SLOTS):
        free.put(slot)
    return shm, filled, free


def shm_array(shm):
    import numpy as np

    return np.ndarray((SLOTS, *FRAME_SHAPE), dtype=np.float32, buffer=shm.buf)


def shm_send(channel, _size, count):
    shm, filled, free = channel
    slots = shm_array(shm)
    block = frame(0)
    for i in range(count):
        slot = free.get()
        block[0, 0] = i
        slots[slot] = block
        filled.put(slot)
    del slots
    filled.close()
    filled.join_thread()


def shm_receive(channel, _size, count, warm):
    shm, filled, free = channel
    slots = shm_array(shm)

    def one():
        slot = filled.get()
        seq = int(slots[slot][0, 0])  # a parser would read slots[slot] here, in place
        free.put(slot)
        return seq

    seconds, seq = timed(one, count, warm)
    del slots
    shm.close()
    shm.unlink()
    return seconds, seq, FRAME_SHAPE[0] * FRAME_SHAPE[1] * 4


FRAME_CASES = {
    "SharedRingByte write(array) / numpy view": (frames_ring_open, frames_ring_send, frames_ring_receive),
    "SharedRing push(array) / numpy view": (frames_typed_open, frames_typed_send, frames_typed_receive),
    "multiprocessing.Queue of arrays": (queue_open, frames_queue_send, frames_queue_receive),
    "shared_memory slots + Queue of indices": (shm_open, shm_send, shm_receive),
}
FRAME_BASELINE = "SharedRingByte write(array) / numpy view"


def child(send, channel, size, count):
    send(channel, size, count)


def warm_up_count(size):
    """Untimed messages first, the same number for every case: enough to pass twice through
    the largest ring used, so that no case pays for first touches of fresh memory."""
    return max(10, 2 * ring_capacity(size) // size)


def measure(case, size, count):
    """One round: (seconds per message, bytes per second) over `count` timed messages."""
    if case is MEMCPY:
        rate = memcpy_rate(size, False, ring_capacity(size))
        return size / rate, rate
    open_, send, receive = case
    ctx = multiprocessing.get_context("fork")
    channel = open_(size)
    warm = warm_up_count(size)
    proc = ctx.Process(target=child, args=(send, channel, size, warm + count))
    proc.start()
    seconds, last, got = receive(channel, size, warm + count, warm)
    count += warm
    proc.join(120)
    if proc.exitcode != 0:
        raise SystemExit(f"the sending process failed (exit code {proc.exitcode})")
    if last != count - 1 or got != size:
        raise SystemExit(f"wrong last message: sequence {last} of {count}, {got} bytes of {size}")
    close = getattr(channel, "close", None)
    if callable(close):
        close()
    elif isinstance(channel, tuple):
        for end in channel:
            if hasattr(end, "close") and not hasattr(end, "unlink"):
                end.close()
    timed = count - warm
    return seconds / timed, timed * size / seconds


def memcpy_rate(size, quick, span=None):
    """Bytes per second of copying `size` bytes in this process: from one buffer to another
    (`span` None: both stay in the cache), or to successive places of a `span`-byte area, as a
    ring of that capacity is written."""
    src = bytearray(b"\x01" * size)
    dst = memoryview(bytearray(span or size))
    places = [dst[i : i + size] for i in range(0, len(dst) - size + 1, size)]
    for place in places:
        place[:] = src  # touch every page once
    n = 50 if quick else 500
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            places[i % len(places)][:] = src
        best = min(best, (time.perf_counter() - start) / n)
    return size / best


def run_table(cases, sizes, rounds, progress_name):
    """Interleaved rounds over every (size, case); returns {(size, name): [(s/msg, B/s), ...]}."""
    results: dict = {}
    skipped: dict = {}
    for r in range(rounds):
        for size, count in sizes:
            for name, case in cases.items():
                if name in skipped or (case is MEMCPY and size < MiB):
                    continue
                try:
                    value = measure(case, size, count)
                except ImportError as exc:
                    skipped[name] = f"{name}: not run ({exc})"
                    progress(skipped[name])
                    continue
                results.setdefault((size, name), []).append(value)
                progress(
                    f"{progress_name} round {r + 1}/{rounds}: {name}, {size:,} B x {count:,}: "
                    f"{value[0] * 1e6:.2f} µs/msg, {value[1] / 1e9:.3f} GB/s"
                )
    return results, list(skipped.values())


def summarise(results, baseline):
    rows = []
    for (size, name), values in results.items():
        per_msg = sorted(v[0] for v in values)
        median = statistics.median(per_msg)
        base = results.get((size, baseline))
        base_median = statistics.median(v[0] for v in base) if base else None
        rows.append(
            dict(
                case=name,
                size=size,
                rounds=len(values),
                us_per_msg=median * 1e6,
                spread_us=[per_msg[0] * 1e6, per_msg[-1] * 1e6],
                gb_s=size / median / 1e9,
                ratio=median / base_median if base_median else None,
            )
        )
    return rows


def markdown(rows, memcpy, title):
    out = [
        title,
        "",
        "Time per message (median of the rounds, min-max across rounds); ratio = time / "
        "SharedRingByte's time at the same size: above 1 is slower than SharedRingByte.",
        "",
        "| size | method | µs per message | spread | GB/s | time / SharedRingByte |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in sorted(rows, key=lambda r: (r["size"], r["us_per_msg"])):
        size = f"{row['size'] // MiB} MiB" if row["size"] >= MiB else (
            f"{row['size'] // 1024} KiB" if row["size"] >= 1024 else f"{row['size']} B"
        )
        lo, hi = row["spread_us"]
        out.append(
            f"| {size} | {row['case']} | {row['us_per_msg']:.2f} | {lo:.2f}-{hi:.2f} | "
            f"{row['gb_s']:.3f} | {row['ratio']:.2f}× |" if row["ratio"] is not None else
            f"| {size} | {row['case']} | {row['us_per_msg']:.2f} | {lo:.2f}-{hi:.2f} | {row['gb_s']:.3f} | |"
        )
    if memcpy:
        out += [
            "",
            f"\"{MEMCPY}\" copies 1 MiB to successive places of a {ring_capacity(MiB) // MiB} MiB "
            f"area (what a ring write does), in the same rounds; from one cached 1 MiB buffer to "
            f"another it ran at {memcpy / 1e9:.2f} GB/s at the start of the run.",
        ]
    return out + [""]


def aims(rows):
    """The aims the design sets, checked against this run's figures."""
    def median(size, name):
        return next((r["us_per_msg"] for r in rows if r["size"] == size and r["case"] == name), None)

    out = []
    ring = median(4096, BASELINE)
    queue = median(4096, "multiprocessing.Queue put / get")
    fifo = median(4096, "faster_fifo.Queue put / get (raw bytes)")
    if ring and queue:
        out.append(f"4 KiB: {queue / ring:.1f}× faster than multiprocessing.Queue (aim: at least 10×)")
    if ring and fifo:
        out.append(f"4 KiB: {fifo / ring:.1f}× faster than faster-fifo (aim: at least 3×)")
    memcpy = median(MiB, MEMCPY)
    for r in rows:
        if memcpy and r["size"] == MiB and r["case"].startswith("SharedRingByte"):
            out.append(
                f"1 MiB, {r['case']}: {r['gb_s']:.2f} GB/s = {memcpy / r['us_per_msg']:.2f} of the "
                "speed of memcpy in one process (aim: at least 0.5)"
            )
    return out


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    if args.impl == "upstream":
        emit("ipc", args.impl, [], ["picoring 0.6 has no shared rings"], {})
        return
    q = 1 if args.quick else 0
    sizes = [(size, counts[q]) for size, counts in SIZES.items()]
    rounds = ROUNDS[q]
    memcpy = memcpy_rate(MiB, args.quick)
    progress(f"ipc: memcpy of 1 MiB in one process, buffer to buffer (cached): {memcpy / 1e9:.2f} GB/s")
    results, notes = run_table(BYTE_CASES, sizes, rounds, "ipc")
    rows = summarise(results, BASELINE)
    frame_rows: list = []
    try:
        import numpy  # noqa: F401
    except ImportError:
        notes.append("numpy is not installed: no numpy frame table")
    else:
        frame_results, frame_notes = run_table(FRAME_CASES, [(8192, FRAMES[q])], rounds, "ipc frames")
        frame_rows = summarise(frame_results, FRAME_BASELINE)
        notes += frame_notes
    notes += aims(rows)
    text = markdown(rows, memcpy, "## 4. Messages between two processes")
    text += markdown(frame_rows, None, "### numpy frames (1024 × 2 float32) between two processes")
    # The tables go to bench/run.py's report (as markdown); the notes to its Notes section.
    params = {"memcpy_cached_gb_s": memcpy / 1e9, "markdown": "\n".join(text)}
    print("\n".join(text + [f"- {note}" for note in notes] + [""]), file=sys.stderr)
    emit("ipc", args.impl, rows + frame_rows, notes, params)


if __name__ == "__main__":
    main()
