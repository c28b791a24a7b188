"""Network receive: picoring.aio.StreamReader against asyncio.StreamReader over loopback TCP.

A sender process writes the whole message stream as fast as the socket takes it; the server
(this process) reads it with each reader and the time from the first byte asked for to the
last message read is taken. Messages: 100-byte lines (asyncio: `readline`; picoring:
`readline`, `readline_view`, and the batch `readlines_view`), and 64 KiB and 1 MiB frames
with a 4-byte length prefix (asyncio: `readexactly` twice; picoring: `readexactly` twice,
`read_frame_view`, the batch `read_frames_view`). The lines and frames are not looked at
after reading (a view is as ready to parse as a bytes object). Each event loop (asyncio's
default, and uvloop when it is installed) is compared with itself.

Cases run in interleaved rounds (every case once per round, rounds repeated); the table shows
the best round, the spread (worst / best) and the ratio of asyncio's best time to the case's
best time (above 1: faster than asyncio's StreamReader on the same loop).

The backlog rows feed both readers directly (`feed_data`, no socket) so that a fixed number
of bytes stays buffered while lines are read and new bytes arrive: the per-line cost with a
64 KiB, a 1 MiB and a 64 MiB backlog. A batch read takes every line buffered, so the batch
row reads the whole backlog in each call instead: the buffer is filled to the backlog, one
`readlines_view` takes it all, and again.

    python bench/scenario_aio.py [--quick]      # tables on stderr, JSON on stdout
"""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import sys
import time

from common import MiB, emit, fmt_time, parse_args, progress

try:
    from picoring import aio
except ImportError:  # picoring 0.6 (the upstream column) has no asyncio reader: main() says so
    aio = None  # type: ignore[assignment]

try:
    import uvloop
except ImportError:  # uvloop does not build everywhere: its rows are then missing
    uvloop = None

LINE = b"0123456789" * 9 + b"abcdefghi\n"  # 100 bytes
PREFIX = struct.Struct("!I")


def payload(kind: str, count: int, size: int) -> bytes:
    if kind == "lines":
        return LINE * count
    frame = PREFIX.pack(size) + bytes(range(256)) * (size // 256) + bytes(size % 256)
    return frame * count


def sender(port: int, kind: str, count: int, size: int) -> None:
    """The sender process: waits for the server's go, sends everything, half-closes."""
    data = payload(kind, count, size)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        assert sock.recv(1) == b"g"
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)


# ---- what each case does with the reader: returns the number of messages read ------------


async def lines_readline(reader, count, size):
    n = 0
    while await reader.readline():
        n += 1
    return n


async def lines_readline_view(reader, count, size):
    n = 0
    while await reader.readline_view():
        n += 1
    return n


async def lines_batch(reader, count, size):
    n = 0
    while lines := await reader.readlines_view():
        n += len(lines)
    return n


async def frames_readexactly(reader, count, size):
    for _ in range(count):
        (n,) = PREFIX.unpack(await reader.readexactly(4))
        await reader.readexactly(n)
    return count


async def frames_view(reader, count, size):
    for _ in range(count):
        await reader.read_frame_view("!I", max_len=size)
    return count


async def frames_batch(reader, count, size):
    n = 0
    while n < count:
        n += len(await reader.read_frames_view("!I", max_len=size))
    return n


# case name -> (reader module, read function)
LINE_CASES = {
    "asyncio readline": (asyncio, lines_readline),
    "picoring readline": (aio, lines_readline),
    "picoring readline_view": (aio, lines_readline_view),
    "picoring readlines_view (batch)": (aio, lines_batch),
}
FRAME_CASES = {
    "asyncio readexactly": (asyncio, frames_readexactly),
    "picoring readexactly": (aio, frames_readexactly),
    "picoring read_frame_view": (aio, frames_view),
    "picoring read_frames_view (batch)": (aio, frames_batch),
}


def new_loop(name: str) -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop() if name == "uvloop" else asyncio.new_event_loop()


def one_round(loop_name: str, module, read, kind: str, count: int, size: int) -> float:
    """Seconds to receive and read the stream once."""
    timing: dict[str, float] = {}

    async def handle(reader, writer):
        writer.write(b"g")
        start = time.perf_counter()
        n = await read(reader, count, size)
        timing["seconds"] = time.perf_counter() - start
        if n != count:
            raise SystemExit(f"read {n} messages, expected {count}")
        writer.close()

    async def main():
        kw = {}
        if module is aio and kind == "frames":
            kw["capacity"] = max(4 * size, 1 << 18)
        server = await module.start_server(handle, "127.0.0.1", 0, **kw)
        port = server.sockets[0].getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, __file__, "--send", str(port), kind, str(count), str(size)]
        )
        async with server:
            while "seconds" not in timing:
                await asyncio.sleep(0.005)
        await asyncio.get_running_loop().run_in_executor(None, proc.wait)
        if proc.returncode:
            raise SystemExit(f"the sender failed ({proc.returncode})")

    with asyncio.Runner(loop_factory=lambda: new_loop(loop_name)) as runner:
        runner.run(main())
    return timing["seconds"]


def backlog_round(module, backlog: int, lines: int, how: str) -> float:
    """Per-line seconds reading `lines` lines while `backlog` bytes stay buffered: each
    64 KiB of new lines is fed, then 64 KiB worth of lines are read (`how`: "readline",
    "view" for readline_view). `how` "batch": the buffer is filled to `backlog` and one
    readlines_view reads it all, until at least `lines` lines were read."""
    chunk = LINE * (65536 // len(LINE))
    per_chunk = len(chunk) // len(LINE)
    fills = max(1, backlog // len(chunk))

    async def main():
        if module is aio:
            reader = aio.StreamReader(limit=1 << 16, capacity=backlog + 4 * len(chunk))
        else:
            reader = asyncio.StreamReader(limit=1 << 16)
        if how == "batch":
            done = 0
            start = time.perf_counter()
            while done < lines:
                for _ in range(fills):
                    reader.feed_data(chunk)
                done += len(await reader.readlines_view())
            return (time.perf_counter() - start) / done
        for _ in range(fills):
            reader.feed_data(chunk)
        rounds = lines // per_chunk
        start = time.perf_counter()
        for _ in range(rounds):
            reader.feed_data(chunk)
            if how == "view":
                for _ in range(per_chunk):
                    await reader.readline_view()
            else:
                for _ in range(per_chunk):
                    await reader.readline()
        return (time.perf_counter() - start) / (rounds * per_chunk)

    return asyncio.run(main())


def interleaved(cases: dict, rounds: int, run_one) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    for r in range(rounds):
        for name in cases:
            times[name].append(run_one(name))
        progress(f"round {r + 1}/{rounds} done")
    return times


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--send":
        port, kind, count, size = sys.argv[2:6]
        sender(int(port), kind, int(count), int(size))
        return
    args = parse_args(__doc__.splitlines()[0])
    if args.impl == "upstream":  # picoring 0.6 has no asyncio reader: nothing to compare
        emit("aio", args.impl, [], [], {})
        return
    quick = args.quick
    rounds = 1 if quick else 7
    loops = ["asyncio"] + (["uvloop"] if uvloop is not None else [])
    groups = [
        ("100 B lines", "lines", 2_000 if quick else 300_000, len(LINE), LINE_CASES),
        ("64 KiB frames", "frames", 20 if quick else 3_000, 64 * 1024, FRAME_CASES),
        ("1 MiB frames", "frames", 4 if quick else 200, MiB, FRAME_CASES),
    ]
    if args.case:  # one group only (a substring of its title, or "backlog")
        groups = [g for g in groups if args.case in g[0]]
    rows, notes = [], []
    if uvloop is None:
        notes.append("uvloop is not installed: no uvloop rows")
    for loop_name in loops:
        for title, kind, count, size, cases in groups:
            progress(f"aio: {title} x {count} on {loop_name}, {rounds} interleaved rounds ...")
            times = interleaved(
                cases,
                rounds,
                lambda name: one_round(loop_name, *cases[name], kind, count, size),
            )
            baseline = min(next(iter(times.values())))
            for name, ts in times.items():
                best = min(ts)
                rows.append(
                    dict(
                        group=f"{title}, {loop_name}",
                        case=name,
                        loop=loop_name,
                        messages=count,
                        best_seconds=best,
                        per_message_seconds=best / count,
                        spread=max(ts) / best,
                        speedup_vs_asyncio=baseline / best,
                        mb_s=count * size / best / 1e6,
                    )
                )
    backlog_lines = 2_000 if quick else 200_000
    backlog_cases = {
        "asyncio readline": (asyncio, "readline"),
        "picoring readline": (aio, "readline"),
        "picoring readline_view": (aio, "view"),
        "picoring readlines_view (whole backlog per call)": (aio, "batch"),
    }
    backlogs = (64 * 1024, MiB, (4 if quick else 64) * MiB)
    for backlog in backlogs if not args.case or args.case == "backlog" else ():
        progress(f"aio: backlog of {backlog:,} bytes, {backlog_lines:,} lines ...")
        times = interleaved(
            backlog_cases,
            rounds,
            lambda name: backlog_round(*backlog_cases[name][:1], backlog, backlog_lines, backlog_cases[name][1]),
        )
        baseline = min(times["asyncio readline"])
        for name, ts in times.items():
            rows.append(
                dict(
                    group=f"backlog {backlog // 1024:,} KiB (feed_data)",
                    backlog=backlog,
                    case=name,
                    loop="asyncio",
                    messages=backlog_lines,
                    best_seconds=min(ts) * backlog_lines,
                    per_message_seconds=min(ts),
                    spread=max(ts) / min(ts),
                    speedup_vs_asyncio=baseline / min(ts),
                    mb_s=len(LINE) / min(ts) / 1e6,
                )
            )
    print_table(rows)
    emit("aio", args.impl, rows, notes, {"rounds": rounds, "loops": loops})


def print_table(rows: list[dict]) -> None:
    out = sys.stderr
    print("", file=out)
    print("| group | reader | per message | MB/s | spread | vs asyncio |", file=out)
    print("|---|---|---:|---:|---:|---:|", file=out)
    for r in rows:
        print(
            f"| {r['group']} | {r['case']} | {fmt_time(r['per_message_seconds'])} | "
            f"{r['mb_s']:.0f} | {r['spread']:.2f} | {r['speedup_vs_asyncio']:.2f}x |",
            file=out,
        )


if __name__ == "__main__":
    main()
