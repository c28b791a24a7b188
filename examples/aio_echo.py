"""An asyncio echo server on picoring.aio: lines in, the same lines back, over loopback TCP.

The server is asyncio's own code with the import switched (`aio.start_server`): its reader is
a picoring.aio.StreamReader, whose receive buffer is a ring the event loop writes into. It
answers every complete line already received in one batch (`readlines_view`, memoryviews into
the ring, no copy) with one `writelines`. A client sends lines of random lengths in writes cut
at random places, reads the echo back with `readline`, and checks every byte.

    python examples/aio_echo.py [--quick] [--uvloop]
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

from picoring import aio


async def echo(reader: aio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while lines := await reader.readlines_view():  # every complete line received so far
        # Views into the ring: what the transport keeps of them until sent stays pinned there.
        writer.writelines(lines)
        await writer.drain()
    writer.close()


async def client(port: int, lines: list[bytes]) -> None:
    reader, writer = await aio.open_connection("127.0.0.1", port)
    rng = random.Random(1)

    async def send() -> None:
        data = b"".join(lines)
        at = 0
        while at < len(data):
            n = rng.randint(1, 50_000)
            writer.write(data[at : at + n])
            at += n
            await writer.drain()
        writer.write_eof()

    sending = asyncio.create_task(send())
    for i, line in enumerate(lines):
        got = await reader.readline()
        if got != line:
            raise SystemExit(f"line {i}: sent {line[:40]!r}..., got back {got[:40]!r}...")
    await sending
    assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


async def main(count: int) -> None:
    rng = random.Random(0)
    lines = [rng.randbytes(rng.randrange(0, 200)).replace(b"\n", b" ") + b"\n" for _ in range(count)]
    async with await aio.start_server(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        start = time.perf_counter()
        await client(port, lines)
        seconds = time.perf_counter() - start
    size = sum(map(len, lines))
    print(f"aio_echo: {count:,} lines ({size / 1e6:.1f} MB) echoed and checked in {seconds:.2f} s")


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main(2_000 if "--quick" in sys.argv else 500_000))
