"""picoring.aio: the asyncio stream reader on a ring.

- a differential test: the same bytes, arriving in the same chunks, and the same calls on
  `asyncio.StreamReader` and `picoring.aio.StreamReader` give the same results and the same
  exceptions (`limit=`, `IncompleteReadError.partial`, `LimitOverrunError.consumed`);
- real loopback TCP and Unix sockets, on the default loop and on uvloop where it installs:
  100,000 lines and thousands of frames of random lengths (up to 3x the ring) in writes split
  at random byte boundaries, every one checked; peer resets, half-closes, cancellation in the
  middle of a `readuntil`; back-pressure;
- the rules of the zero-copy views.
"""

import asyncio
import gc
import itertools
import pickle
import random
import socket
import struct
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picoring import aio

try:
    import uvloop
except ImportError:  # pragma: no cover (uvloop does not build everywhere)
    uvloop = None

LOOPS = ["asyncio"] + (["uvloop"] if uvloop is not None else [])
TUPLE_SEPARATORS = sys.version_info >= (3, 13)  # asyncio accepts them from 3.13 on


def run(coro, loop_name="asyncio"):
    if loop_name == "uvloop":
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    return asyncio.run(coro)


# ---- the differential test ---------------------------------------------------------------

SEPARATORS = [b"\n", b"\r\n", b"ab", b"xyz", b"a"]
PIECES = [b"\n", b"\r\n", b"a", b"b", b"ab", b"x", b"xyz", b"y", b"q" * 7, b"z" * 40]


def outcome(fn):
    """What a call did, comparable across the two readers."""

    async def call():
        try:
            value = await fn()
        except asyncio.IncompleteReadError as e:
            return ("IncompleteReadError", e.partial, e.expected)
        except asyncio.LimitOverrunError as e:
            return ("LimitOverrunError", e.args[0], e.consumed)
        except Exception as e:  # noqa: BLE001 (the type and message are compared)
            return (type(e).__name__, str(e))
        if isinstance(value, list):
            return ("lines", [bytes(v) for v in value])
        if isinstance(value, memoryview):
            value = bytes(value)  # a view is valid until the next read: copied at once
        return ("ok", value)

    return call


def expected_call(reader, op):
    """The asyncio call for `op` (the view variants of ours return what the copying ones do)."""
    name, arg = op
    if name in ("readline", "readline_view"):
        return reader.readline
    if name in ("readuntil", "readuntil_view"):
        return lambda: reader.readuntil(arg)
    if name in ("readexactly", "readexactly_view"):
        return lambda: reader.readexactly(arg)
    if name == "read":
        return lambda: reader.read(arg)
    raise AssertionError(name)


def our_call(reader, op):
    name, arg = op
    method = getattr(reader, name)
    if name in ("readline", "readline_view"):
        return method
    return lambda: method(arg)


async def settle():
    """Lets every woken task run until it waits again."""
    for _ in range(4):
        await asyncio.sleep(0)


async def differential(data, cuts, ops, limit, exc_at):
    """Feeds `data` cut at `cuts` to both readers, one chunk at a time while a call waits,
    and runs `ops` on both; returns both outcome lists."""
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    theirs = asyncio.StreamReader(limit=limit)
    ours = aio.StreamReader(limit=limit, capacity=4096)
    results = {"theirs": [], "ours": []}
    fed = 0

    def feed_one():
        nonlocal fed
        if fed < len(chunks):
            for r in (theirs, ours):
                r.feed_data(chunks[fed])
            fed += 1
        elif not theirs._eof:
            for r in (theirs, ours):
                r.feed_eof()
        else:
            return False
        return True

    for step, op in enumerate(ops):
        if step == exc_at:
            for r in (theirs, ours):
                r.set_exception(ConnectionResetError("reset by the test"))
        if op[0] == "feed":
            for _ in range(op[1]):
                feed_one()
            continue
        if op[0] == "at_eof":
            results["theirs"].append(("ok", theirs.at_eof()))
            results["ours"].append(("ok", ours.at_eof()))
            continue
        if op[0] == "readlines_view":
            # A batch: every complete line already there, which asyncio gives one by one.
            t_ours = asyncio.ensure_future(outcome(ours.readlines_view)())
            t_theirs = asyncio.ensure_future(outcome(theirs.readline)())
            await settle()
            while not (t_ours.done() and t_theirs.done()) and feed_one():
                await settle()
            got = t_ours.result()
            first = t_theirs.result()
            if got[0] != "lines":
                results["ours"].append(got)
                results["theirs"].append(first)
                continue
            lines = [first] if first != ("ok", b"") else []
            for _ in range(len(got[1]) - len(lines)):
                lines.append(await outcome(theirs.readline)())
            results["ours"].append(got)
            results["theirs"].append(("lines", [v for _, v in lines]))
            # Nothing left that a readline would return without waiting.
            buf = theirs._buffer
            i = buf.find(b"\n")
            assert i == -1 or i > limit, (buf, got)
            assert not theirs._eof or not buf or len(buf) > limit, (buf, got)
            continue
        t_ours = asyncio.ensure_future(outcome(our_call(ours, op))())
        t_theirs = asyncio.ensure_future(outcome(expected_call(theirs, op))())
        await settle()
        while not (t_ours.done() and t_theirs.done()):
            assert feed_one(), "a call still waits after EOF"
            await settle()
        results["ours"].append(t_ours.result())
        results["theirs"].append(t_theirs.result())
        assert ours.at_eof() == theirs.at_eof()
        assert ours.buffered() == len(theirs._buffer)
    return results["theirs"], results["ours"]


separators = st.sampled_from(SEPARATORS)
if TUPLE_SEPARATORS:
    separators = separators | st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3).map(
        tuple
    )

operations = st.one_of(
    st.tuples(st.sampled_from(["readline", "readline_view", "readlines_view", "at_eof"]), st.none()),
    st.tuples(st.sampled_from(["readuntil", "readuntil_view"]), separators),
    st.tuples(
        st.sampled_from(["readexactly", "readexactly_view"]),
        st.integers(0, 12000) | st.integers(-2, 40),
    ),
    st.tuples(st.just("read"), st.integers(-1, 9000)),
    st.tuples(st.just("feed"), st.integers(1, 6)),
)


@st.composite
def streams(draw):
    rng = random.Random(draw(st.integers(0, 2**32)))
    size = draw(st.sampled_from([10, 100, 30000]))
    parts, n = [], 0
    while n < size:
        piece = rng.choice(PIECES)
        if rng.random() < 0.02:
            piece = b"L" * rng.randrange(0, 3 * 4096)  # longer than the limit, or the ring
        parts.append(piece)
        n += len(piece)
    data = b"".join(parts)
    max_cut = draw(st.sampled_from([1, 3, 7, 100, 1000, 5000]))
    cuts, at = [], 0
    while True:
        at += rng.randint(1, max_cut)
        if at >= len(data):
            break
        cuts.append(at)
    return data, cuts


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    stream=streams(),
    ops=st.lists(operations, max_size=60),
    limit=st.sampled_from([1, 2, 3, 5, 64, 1000, 2**16]),
    exc_at=st.integers(0, 200),
)
def test_same_results_and_exceptions_as_asyncio(stream, ops, limit, exc_at):
    data, cuts = stream
    theirs, ours = asyncio.run(differential(data, cuts, ops, limit, exc_at))
    assert ours == theirs


def test_small_inputs_exhaustively():
    """Every stream of up to 6 bytes over {a, newline}, limits 1 to 3, every pair of calls:
    the boundaries of the limit checks, which random streams rarely hit exactly."""
    calls = [
        ("readline", None),
        ("readline_view", None),
        ("readlines_view", None),
        ("readuntil", b"\n"),
        ("readuntil_view", b"a\n"),
        ("readexactly_view", 2),
        ("read", 2),
    ]

    async def main():
        for size in range(7):
            for data in itertools.product([b"a", b"\n"], repeat=size):
                data = b"".join(data)
                for limit in (1, 2, 3):
                    for first, second in itertools.product(calls, repeat=2):
                        theirs = asyncio.StreamReader(limit=limit)
                        ours = aio.StreamReader(limit=limit, capacity=4096)
                        for r in (theirs, ours):
                            r.feed_data(data)
                            r.feed_eof()
                        for op in (first, second):
                            if op[0] == "readlines_view":
                                got = await outcome(ours.readlines_view)()
                                want = []
                                if got[0] != "lines":
                                    want = await outcome(theirs.readline)()
                                else:
                                    for _ in got[1]:
                                        want.append((await outcome(theirs.readline)())[1])
                                    if not got[1]:
                                        assert await theirs.readline() == b""
                                    want = ("lines", want)
                            else:
                                got = await outcome(our_call(ours, op))()
                                want = await outcome(expected_call(theirs, op))()
                            assert got == want, (data, limit, first, second)

    asyncio.run(main())


def test_differential_reaches_every_outcome():
    """The differential test's generator is able to reach the cases it is meant to compare."""
    rng = random.Random(5)
    seen = set()
    data = b"".join(rng.choice(PIECES) for _ in range(3000)) + b"L" * 9000 + b"\nend"
    cuts = sorted(rng.sample(range(1, len(data)), 400))
    ops = [
        (name, arg)
        for _ in range(200)
        for name, arg in [
            rng.choice(
                [
                    ("readline", None),
                    ("readline_view", None),
                    ("readlines_view", None),
                    ("readuntil", rng.choice(SEPARATORS)),
                    ("readuntil_view", rng.choice(SEPARATORS)),
                    ("readexactly", rng.randrange(0, 300)),
                    ("readexactly_view", rng.randrange(0, 5000)),
                    ("read", rng.randrange(-1, 300)),
                ]
            )
        ]
    ]
    theirs, ours = asyncio.run(differential(data, cuts, ops, 64, 10**9))
    assert ours == theirs
    seen = {r[0] for r in ours}
    assert {"ok", "lines", "LimitOverrunError", "ValueError"} <= seen, seen


def test_tuple_separators_shortest_match_wins():
    async def main():
        r = aio.StreamReader(limit=100)
        r.feed_data(b"aaa\r\nbbb\nccc--ddd")
        r.feed_eof()
        assert await r.readuntil((b"\n", b"\r\n")) == b"aaa\r\n"
        assert await r.readuntil((b"--", b"\n")) == b"bbb\n"
        assert bytes(await r.readuntil_view((b"--", b"cc"))) == b"cc"
        assert await r.readuntil((b"dd", b"c--")) == b"c--"
        with pytest.raises(ValueError, match="at least one element"):
            await r.readuntil(())
        with pytest.raises(ValueError, match="at least one-byte"):
            await r.readuntil((b"x", b""))
        with pytest.raises(asyncio.IncompleteReadError) as e:
            await r.readuntil((b"z", b"y"))
        assert e.value.partial == b"ddd" and e.value.expected is None

    asyncio.run(main())


def test_is_an_asyncio_stream_reader():
    """Code that checks the type (asyncio.StreamWriter itself does) accepts it."""

    async def main():
        r = aio.StreamReader()
        assert isinstance(r, asyncio.StreamReader)
        assert r.capacity() >= 2 * 2**16
        r.feed_data(b"one\ntwo\nthree")
        r.feed_eof()
        assert [line async for line in r] == [b"one\n", b"two\n", b"three"]
        assert r.at_eof()
        with pytest.raises(ValueError, match="Limit cannot be <= 0"):
            aio.StreamReader(limit=0)

    asyncio.run(main())


# ---- the search the reader is built on ---------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=64) | st.lists(st.sampled_from([b"a", b"\n", b"ab"])).map(b"".join),
    sub=st.sampled_from([b"", b"a", b"\n", b"ab", b"ba", 10, 97, bytearray(b"b")]),
    start=st.integers(-70, 70),
    end=st.none() | st.integers(-70, 70),
    wrap=st.integers(0, 4096),
)
def test_stream_find_is_bytes_find_across_the_wrap(data, sub, start, end, wrap):
    from picoring import PicoByteStreamPy

    s = PicoByteStreamPy(4096)
    s.write(bytes(wrap % (4096 - len(data) + 1)))
    s.consume(len(s))  # the next bytes may straddle the physical end
    s.write(data)
    assert s.find(sub, start, end) == data.find(sub, start, end)
    if sub != b"":
        expected, at = [], start
        while (i := data.find(sub, at, end)) >= 0:
            expected.append(i)
            at = i + (len(sub) if isinstance(sub, (bytes, bytearray)) else 1)
        assert s.find_all(sub, start, end) == expected


def test_stream_find_refuses_what_bytes_find_refuses():
    from picoring import PicoByteStreamPy

    s = PicoByteStreamPy(4096)
    with pytest.raises(ValueError):
        s.find(256)
    with pytest.raises(TypeError):
        s.find("a")
    with pytest.raises(ValueError):
        s.find_all(b"")


# ---- the zero-copy views -----------------------------------------------------------------


def test_a_view_is_released_by_the_next_read():
    async def main():
        r = aio.StreamReader(capacity=4096)
        r.feed_data(b"first\nsecond\nthird\n")
        view = await r.readline_view()
        assert view == b"first\n" and view.readonly
        kept = bytes(view)
        assert await r.readline() == b"second\n"
        with pytest.raises(ValueError, match="released"):
            bytes(view)
        assert kept == b"first\n"
        lines = await r.readlines_view()
        assert lines == [b"third\n"]
        r.feed_data(b"x" * 5000)  # more than the ring: it grows, the old bytes are left alone
        assert lines[0] == b"third\n"
        await r.readexactly_view(10)
        with pytest.raises(ValueError, match="released"):
            lines[0].tobytes()

    asyncio.run(main())


def test_an_exported_view_makes_the_next_read_raise_buffer_error():
    async def main():
        r = aio.StreamReader(capacity=4096)
        r.feed_data(b"abc\ndef\n")
        view = await r.readline_view()
        pinned = pickle.PickleBuffer(view)  # holds an export of the view, as numpy would
        with pytest.raises(BufferError, match="still exported"):
            await r.readline()
        with pytest.raises(BufferError, match="still exported"):
            await r.readline_view()
        assert bytes(pinned.raw()) == b"abc\n"
        pinned.release()
        assert await r.readline() == b"def\n"

    asyncio.run(main())


def test_a_derived_view_pins_its_bytes_and_is_never_overwritten():
    async def main():
        r = aio.StreamReader(capacity=4096)
        cap = r.capacity()
        r.feed_data(b"A" * 100 + b"\n")
        line = await r.readline_view()
        part = line[10:20]  # a view of the same memory, which the reader does not track
        r.feed_data(b"B" * (cap - 200))
        await r.readexactly_view(cap - 200)
        ring = r._ring
        # The bytes under `part` cannot be given back: the reader reads around them.
        r.feed_data(b"C" * 50)
        assert await r.readexactly(50) == b"C" * 50
        r.feed_data(b"D" * 200)  # no room left in this ring: the unread bytes move on
        assert r._ring is not ring and part == b"A" * 10
        task = asyncio.ensure_future(r.readexactly(300))
        await settle()
        r.feed_data(b"E" * 100)
        assert await task == b"D" * 200 + b"E" * 100
        assert part == b"A" * 10
        part.release()

    asyncio.run(main())


def test_views_across_the_wrap_are_contiguous():
    async def main():
        r = aio.StreamReader(capacity=4096)
        cap = r.capacity()
        r.feed_data(b"x" * (cap - 5))
        await r.readexactly(cap - 5)
        r.feed_data(b"0123456789\n" + b"tail")  # starts 5 bytes before the physical end
        view = await r.readline_view()
        assert view == b"0123456789\n" and view.contiguous
        assert bytes(await r.readexactly_view(4)) == b"tail"

    asyncio.run(main())


def test_lines_read_as_views_behind_a_large_backlog_do_not_grow_the_ring():
    # The bytes of returned views are given back to the ring after a bounded amount (not a
    # quarter of the ring): feeding more while the last view is live then finds the room.
    async def main():
        line = b"x" * 99 + b"\n"
        chunk = line * 655
        backlog = 4 * 1024 * 1024
        r = aio.StreamReader(capacity=backlog + 4 * len(chunk))
        cap, ring = r.capacity(), r._ring
        for _ in range(backlog // len(chunk)):
            r.feed_data(chunk)
        for _ in range(3 * backlog // len(chunk)):
            r.feed_data(chunk)
            for _ in range(655):
                assert await r.readline_view() == line
        assert r.capacity() == cap and r._ring is ring

    asyncio.run(main())


@pytest.mark.parametrize("prefix", ["!I", "<H", "B", ">Q"])
def test_frames(prefix):
    async def main():
        size = struct.calcsize(prefix)
        r = aio.StreamReader(limit=3000, capacity=4096)
        payloads = [b"", b"a", b"hello", bytes(range(250))]
        if size > 1:
            payloads.append(b"z" * 2999)
        stream = b"".join(struct.pack(prefix, len(p)) + p for p in payloads)
        r.feed_data(stream)
        assert [bytes(v) for v in await r.read_frames_view(prefix)] == payloads
        r.feed_data(struct.pack(prefix, 3) + b"ab")
        task = asyncio.ensure_future(r.read_frame_view(prefix))
        await settle()
        assert not task.done()
        r.feed_data(b"c" + struct.pack(prefix, 200))
        assert await task == b"abc"
        with pytest.raises(asyncio.LimitOverrunError) as e:
            await r.read_frame_view(prefix, max_len=100)
        assert e.value.consumed == size + 200
        r.feed_data(b"q" * 200)
        assert await r.read_frame_view(prefix) == b"q" * 200
        r.feed_data(struct.pack(prefix, 9) + b"abc")
        r.feed_eof()
        with pytest.raises(asyncio.IncompleteReadError) as e:
            await r.read_frame_view(prefix)
        assert e.value.partial == struct.pack(prefix, 9) + b"abc"
        assert e.value.expected == size + 9
        assert await r.read_frames_view(prefix) == []

    asyncio.run(main())


def test_frame_prefix_must_be_one_unsigned_integer():
    async def main():
        r = aio.StreamReader()
        for bad in ["!i", "II", "!f", "x"]:
            with pytest.raises((ValueError, struct.error)):
                await r.read_frame_view(bad)
        with pytest.raises(TypeError):
            await r.read_frame_view(4)

    asyncio.run(main())


def test_a_frame_longer_than_the_ring_grows_it():
    async def main():
        r = aio.StreamReader(limit=1 << 20, capacity=4096)
        payload = bytes(random.Random(1).randbytes(100_000))
        task = asyncio.ensure_future(r.read_frame_view("!I"))
        frame = struct.pack("!I", len(payload)) + payload
        for i in range(0, len(frame), 3000):
            r.feed_data(frame[i : i + 3000])
            await settle()
        assert await task == payload
        assert r.capacity() >= len(payload)

    asyncio.run(main())


# ---- real sockets ------------------------------------------------------------------------


def random_lines(rng, count, capacity, long_share):
    lines = []
    for _ in range(count):
        if rng.random() < long_share:
            n = rng.randrange(0, 3 * capacity)  # longer than the limit, or than the ring
        else:
            n = rng.randrange(0, 120)
        lines.append(rng.randbytes(n).replace(b"\n", b".") + b"\n")
    return lines


async def send_split(writer, data, rng, max_piece):
    """Writes `data` in pieces cut at random byte boundaries."""
    at = 0
    while at < len(data):
        n = rng.randint(1, max_piece)
        writer.write(data[at : at + n])
        at += n
        if rng.random() < 0.3:
            await writer.drain()
    await writer.drain()
    writer.write_eof()


async def read_lines(reader, rng, calls):
    """Reads lines with a random mix of `calls`; a line over the limit is skipped in the
    pieces `LimitOverrunError.consumed` names. Returns what came back, in order."""
    got = []
    while True:
        how = rng.choice(calls)
        try:
            if how == "readline_view":
                line = await reader.readline_view()
                if not line:
                    return got
                got.append(("line", bytes(line)))
            elif how == "readlines_view":
                lines = await reader.readlines_view()
                if not lines:
                    return got
                got.extend(("line", bytes(v)) for v in lines)
            elif how == "readuntil":
                got.append(("line", await reader.readuntil(b"\n")))
            else:
                got.append(("line", bytes(await reader.readuntil_view(b"\n"))))
        except asyncio.LimitOverrunError as e:
            got.append(("skip", await reader.readexactly(e.consumed)))
        except asyncio.IncompleteReadError as e:
            assert e.partial == b"" and e.expected is None
            return got


def check_lines(sent, got, limit):
    """Every line within the limit came back whole and in order; longer ones were skipped in
    pieces and finished as a line within the limit, with no byte lost."""
    i = 0
    for line in sent:
        if len(line) - 1 <= limit:
            assert got[i] == ("line", line), (i, got[i][:1], len(line))
            i += 1
            continue
        rebuilt = b""
        while rebuilt != line:
            kind, data = got[i]
            i += 1
            rebuilt += data
            assert line.startswith(rebuilt), (len(line), len(rebuilt))
            assert kind == ("line" if rebuilt == line else "skip")
    assert i == len(got), (i, len(got))


LINE_MODES = {
    # 100,000 short lines, read with every call (readline_view would drop a long line).
    "short": (100_000, 0.0, ["readline_view", "readlines_view", "readuntil", "readuntil_view"]),
    # Lines up to 3x the ring, over the limit, skipped as LimitOverrunError.consumed says.
    "long": (20_000, 0.02, ["readuntil", "readuntil_view"]),
}


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("family", ["tcp", "unix"])
@pytest.mark.parametrize("mode", sorted(LINE_MODES))
def test_lines_over_real_sockets(loop_name, family, mode, tmp_path):
    count, long_share, calls = LINE_MODES[mode]
    rng = random.Random(f"{loop_name}{family}{mode}")
    capacity, limit = 4096, 1024
    sent = random_lines(rng, count, capacity, long_share)
    data = b"".join(sent)
    results = []

    async def handle(reader, writer):
        assert isinstance(reader, aio.StreamReader)
        results.append(await read_lines(reader, random.Random(7), calls))
        writer.write(b"done\n")
        await writer.drain()
        writer.close()

    async def main():
        kw = dict(limit=limit, capacity=capacity)
        if family == "tcp":
            server = await aio.start_server(handle, "127.0.0.1", 0, **kw)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await aio.open_connection("127.0.0.1", port)
        else:
            path = str(tmp_path / "s")
            server = await aio.start_unix_server(handle, path, **kw)
            reader, writer = await aio.open_unix_connection(path)
        async with server:
            await send_split(writer, data, rng, 3 * capacity)
            assert await reader.readline() == b"done\n"  # after the half-close
            assert await reader.read() == b""
            writer.close()
            await writer.wait_closed()

    run(main(), loop_name)
    (got,) = results
    check_lines(sent, got, limit)
    if long_share:
        assert any(kind == "skip" for kind, _ in got)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_frames_over_real_sockets(loop_name):
    rng = random.Random(loop_name)
    capacity = 4096
    payloads = [
        rng.randbytes(rng.randrange(0, 3 * capacity) if rng.random() < 0.05 else rng.randrange(300))
        for _ in range(20_000)
    ]
    data = b"".join(struct.pack("<H", len(p)) + p for p in payloads)
    got = []

    async def handle(reader, writer):
        while True:
            try:
                if rng.random() < 0.5:
                    frames = await reader.read_frames_view("<H", max_len=capacity)
                    if not frames:
                        break
                    got.extend(bytes(f) for f in frames)
                else:
                    got.append(bytes(await reader.read_frame_view("<H", max_len=capacity)))
            except asyncio.LimitOverrunError as e:
                skipped = await reader.readexactly(e.consumed)
                got.append(("skipped", len(skipped) - 2))
            except asyncio.IncompleteReadError as e:
                assert e.partial == b""
                break
        writer.close()

    async def main():
        server = await aio.start_server(handle, "127.0.0.1", 0, capacity=capacity)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection("127.0.0.1", port)
        async with server:
            await send_split(writer, data, rng, 2 * capacity)
            assert await reader.read() == b""
            writer.close()

    run(main(), loop_name)
    expected = [p if len(p) <= capacity else ("skipped", len(p)) for p in payloads]
    assert got == expected


@pytest.mark.parametrize("loop_name", LOOPS)
def test_reading_pauses_when_the_ring_is_full(loop_name):
    """A reader that does not read holds at most its ring; the sender is held back."""

    async def main():
        started = asyncio.Event()
        release = asyncio.Event()
        seen = {}

        async def handle(reader, writer):
            started.set()
            await release.wait()
            seen["buffered"] = reader.buffered()
            seen["capacity"] = reader.capacity()
            seen["paused"] = not reader._transport.is_reading()
            seen["data"] = await reader.read()
            writer.close()

        server = await aio.start_server(handle, "127.0.0.1", 0, capacity=65536)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection("127.0.0.1", port)
        payload = random.Random(3).randbytes(32 << 20)  # more than the kernel buffers hold
        async with server:
            await started.wait()
            writer.write(payload)
            # The sender cannot get rid of everything: the server stopped reading.
            for _ in range(50):
                await asyncio.sleep(0.01)
            assert writer.transport.get_write_buffer_size() > 0
            release.set()
            await writer.drain()
            writer.write_eof()
            assert await reader.read() == b""
            writer.close()
        assert seen["buffered"] == seen["capacity"] == 65536
        assert seen["paused"]
        assert seen["data"] == payload

    run(main(), loop_name)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_half_close_and_reply(loop_name, tmp_path):
    async def main():
        async def handle(reader, writer):
            data = await reader.read()  # until the client's EOF
            assert reader.at_eof()
            writer.write(data[::-1])
            await writer.drain()
            writer.close()

        path = str(tmp_path / "half")
        server = await aio.start_unix_server(handle, path)
        async with server:
            reader, writer = await aio.open_unix_connection(path)
            writer.write(b"0123456789" * 1000)
            writer.write_eof()
            assert await reader.read() == (b"0123456789" * 1000)[::-1]
            writer.close()
            await writer.wait_closed()

    run(main(), loop_name)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_peer_reset(loop_name):
    """The lines before a reset come back whole; then ConnectionResetError, as asyncio."""

    async def main():
        out = []
        done = asyncio.Event()
        acked = asyncio.Event()

        async def handle(reader, writer):
            try:
                for _ in range(1000):
                    out.append(await reader.readline())
                writer.write(b"ack\n")
                await writer.drain()
                out.append(await reader.readuntil(b"END"))
            except ConnectionResetError as e:
                out.append(e)
            finally:
                done.set()

        server = await aio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection("127.0.0.1", port)
        async with server:
            lines = [b"%d\n" % i for i in range(1000)]
            writer.write(b"".join(lines))
            assert await reader.readline() == b"ack\n"
            acked.set()
            writer.write(b"half a record")
            await writer.drain()
            await asyncio.sleep(0.05)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # RST
            await done.wait()
        assert out[:1000] == lines
        assert isinstance(out[1000], ConnectionResetError)

    run(main(), loop_name)


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("view", [False, True])
def test_cancelling_a_readuntil_loses_no_bytes(loop_name, view):
    async def main():
        got = []
        first_half = asyncio.Event()
        cancelled = asyncio.Event()

        async def handle(reader, writer):
            read = reader.readuntil_view if view else reader.readuntil
            task = asyncio.ensure_future(read(b"END"))
            await first_half.wait()
            await asyncio.sleep(0.02)  # the first half is in the ring
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            cancelled.set()
            got.append(bytes(await read(b"END")))
            got.append(bytes(await read(b"END")))
            writer.close()

        server = await aio.start_server(handle, "127.0.0.1", 0, capacity=4096)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection("127.0.0.1", port)
        record = bytes(range(256)).replace(b"E", b"e") * 20 + b"END"
        async with server:
            writer.write(record[:3000])
            await writer.drain()
            first_half.set()
            await cancelled.wait()
            writer.write(record[3000:] + record)
            await writer.drain()
            assert await reader.read() == b""
            writer.close()
        assert got == [record, record]

    run(main(), loop_name)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_tls(loop_name, tmp_path):
    """ssl= goes to the loop, and the TLS layer feeds the ring through get_buffer too."""
    import shutil
    import ssl
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))

    async def main():
        async def handle(reader, writer):
            async for line in reader:
                writer.write(line)
            writer.close()

        server = await aio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await aio.open_connection(
                "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
            )
            lines = [b"x" * i + b"\n" for i in range(2000)]
            writer.write(b"".join(lines))
            for line in lines:
                assert await reader.readline() == line
            writer.close()

    run(main(), loop_name)
