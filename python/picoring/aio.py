"""asyncio streams whose receive buffer is a picoring byte stream.

``picoring.aio`` mirrors ``asyncio``'s stream functions (``open_connection``,
``start_server``, ``open_unix_connection``, ``start_unix_server``, same arguments, ``ssl=``
included). They give ``(reader, writer)``: the writer is asyncio's own ``StreamWriter``; the
reader is :class:`StreamReader`, a subclass of ``asyncio.StreamReader`` built on
``asyncio.BufferedProtocol``: the event loop receives straight into the ring's free space
(``get_buffer``), and lines and frames come back from it, contiguous even across the wrap.

The reader is a drop-in for ``asyncio.StreamReader``: ``read``, ``readline``, ``readuntil``
(a tuple of separators too), ``readexactly``, ``at_eof``, ``async for line in reader``, with
asyncio's exceptions, ``limit=`` and EOF rules. Its buffer grows, as asyncio's does, only
when a call needs more bytes than it holds (``readexactly(n)`` beyond the capacity).

Zero-copy calls return ``memoryview`` objects into the ring: ``readline_view``,
``readuntil_view``, ``readexactly_view``, ``read_frame_view`` (length-prefixed frames), and
the batch forms ``readlines_view`` and ``read_frames_view``, which return every complete line
or frame already received in one call.

**A view is valid until the next read call on its reader.** That call releases it (any later
use raises ``ValueError``, as for any released memoryview) and lets the ring reuse its bytes.
Copy what must outlive it (``bytes(view)``). Something still exporting a returned view (a
numpy array over it) makes the next read raise ``BufferError``. A view derived from a returned
one (a slice of it, or the one a transport keeps of data it could not send at once) pins its
bytes: they are never overwritten, and the reader works around them (moving the unread bytes
to a new ring if it runs out of room) until that view is gone.

Back-pressure: reading pauses when the ring is full and resumes when the reader consumes.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
import weakref
from asyncio import IncompleteReadError, LimitOverrunError, StreamWriter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Union, cast

from ._picoring import PicoByteStreamPy

__all__ = [
    "StreamReader",
    "StreamReaderProtocol",
    "open_connection",
    "start_server",
]

_DEFAULT_LIMIT = 2**16  # 64 KiB, asyncio's
_MIN_CAPACITY = 256 * 1024  # what a single receive may bring (asyncio's selector reads 256 KiB)
_COMPACT_MAX = 64 * 1024  # returned view bytes kept before the ring gets them back (see _begin)

_Separator = Union[bytes, bytearray, memoryview]
_ConnectedCallback = Callable[["StreamReader", StreamWriter], Union[Awaitable[None], None]]

_EXPORTED = (
    "a memoryview returned by a previous read of this picoring.aio.StreamReader is still "
    "exported (for instance by a numpy array made from it); release that first: views are "
    "valid until the next read call"
)

_prefixes: dict[str, struct.Struct] = {}


def _prefix_struct(prefix: str) -> struct.Struct:
    """The ``struct.Struct`` of a length prefix: one unsigned integer (``"!I"``, ``"<H"``...)."""
    st = _prefixes.get(prefix)
    if st is None:
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a struct format string, not {type(prefix).__name__}")
        st = struct.Struct(prefix)
        if st.size == 0 or len(st.unpack(bytes(st.size))) != 1 or prefix[-1:] not in "BHILQ":
            raise ValueError(
                f"prefix {prefix!r} is not one unsigned integer (use e.g. '!I', '<H', 'B')"
            )
        _prefixes[prefix] = st
    return st


class StreamReader(asyncio.StreamReader):
    """``asyncio.StreamReader`` whose buffer is a mirrored ring (see the module documentation).

    ``limit`` is asyncio's (longest line ``readline``/``readuntil`` accept, block size of
    ``read()``); ``capacity`` is the ring's initial size in bytes (default: twice the limit,
    at least 256 KiB; rounded up to whole pages). Also the default longest frame of
    ``read_frame_view``.
    """

    # Set by asyncio.StreamReader.__init__ (private there, declared here for the type checker).
    _limit: int
    _loop: asyncio.AbstractEventLoop
    _eof: bool
    _waiter: asyncio.Future[None] | None
    _exception: BaseException | None
    _transport: asyncio.BaseTransport | None
    _paused: bool
    _buffer: Any
    _source_traceback: Any

    def __init__(
        self,
        limit: int = _DEFAULT_LIMIT,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        capacity: int | None = None,
    ) -> None:
        super().__init__(limit=limit, loop=loop)
        self._buffer = None  # asyncio's bytearray: unused (a call that reached it would fail)
        if capacity is None:
            capacity = max(2 * limit, _MIN_CAPACITY)
        self._ring = PicoByteStreamPy(capacity)
        self._set_thresholds()
        # The writable view of free space handed to the event loop by get_buffer(), and the
        # bytes it received that wait for the loop to let go of it before being published.
        self._lease: memoryview | None = None
        self._lease_len = 0
        self._uncommitted = 0
        # Views: `_base` shows the ring's readable bytes (as of when it was taken); its first
        # `_pos` bytes were already returned, so they are logically gone; `_out` holds the
        # views returned by the last read call, released by the next one.
        self._base: memoryview | None = None
        self._pos = 0
        self._out: list[memoryview] = []

    def _set_thresholds(self) -> None:
        self._capacity = cap = self._ring.capacity()
        self._resume_at = max(1, cap // 4)  # free bytes before a paused transport resumes
        # Returned bytes worth giving back early: few enough that they never crowd out the
        # bytes still to come (a large backlog would otherwise grow the ring to hold them).
        self._compact_at = max(1, min(cap // 4, _COMPACT_MAX))

    def __repr__(self) -> str:
        info = ["StreamReader"]
        n = self._buflen()
        if n:
            info.append(f"{n} bytes")
        if self._eof:
            info.append("eof")
        if self._limit != _DEFAULT_LIMIT:
            info.append(f"limit={self._limit}")
        info.append(f"capacity={self._capacity}")
        if self._waiter:
            info.append(f"waiter={self._waiter!r}")
        if self._exception:
            info.append(f"exception={self._exception!r}")
        if self._transport:
            info.append(f"transport={self._transport!r}")
        if self._paused:
            info.append("paused")
        return "<{}>".format(" ".join(info))

    # ---- the ring and the views ---------------------------------------------------------

    def capacity(self) -> int:
        """The ring's current size in bytes."""
        return self._capacity

    def buffered(self) -> int:
        """Bytes received and not read yet. (No ``__len__``: a reader is always true, as
        asyncio's is.)"""
        if self._uncommitted:
            self._flush_lease()
        return self._buflen()

    def _buflen(self) -> int:
        return len(self._ring) - self._pos

    def _begin(self) -> None:
        """Start of a read call: the last call's views are released and its bytes returned to
        the ring once worth it, and bytes the loop received are published."""
        out = self._out
        if out:
            try:
                for view in out:
                    view.release()
            except BufferError:  # kept: releasing the released ones again does nothing
                raise BufferError(_EXPORTED) from None
            out.clear()
        if self._uncommitted:
            self._flush_lease()
        if self._pos >= self._compact_at and self._release_front():
            self._maybe_resume_transport()

    def _begin_copy(self) -> None:
        """Start of a read call that copies out of the ring: from its front, if it can."""
        self._begin()
        if self._pos or self._base is not None:
            self._release_front()

    def _release_front(self) -> bool:
        """Drops the base view and gives the bytes already returned back to the ring;
        `False` when a view derived from a returned one pins them: they stay, as read."""
        base = self._base
        if base is not None:
            self._base = None
            base.release()
        if self._pos:
            try:
                self._ring.consume(self._pos)
            except BufferError:
                return False
            self._pos = 0
        return True

    def _ensure_base(self, end: int) -> memoryview:
        """The base view, covering at least the first `end` unread bytes."""
        base = self._base
        if base is None or self._pos + end > len(base):
            self._release_front()
            self._base = base = memoryview(self._ring)
        return base

    def _views(self, bounds: Iterable[tuple[int, int]], end: int) -> list[memoryview]:
        """Views of `bounds` (offsets from the front, within the first `end` unread bytes),
        which count as read: the front moves past `end`."""
        if not end:  # nothing is read: empty views not backed by the ring
            return [memoryview(b"") for _ in bounds]
        base = self._ensure_base(end)
        pos = self._pos
        views = [base[pos + a : pos + b] for a, b in bounds]
        self._pos = pos + end
        self._out = views[:]
        return views

    def _view(self, start: int, end: int) -> memoryview:
        return self._views(((start, end),), end)[0]

    def _take(self, n: int) -> bytes:
        """Removes and returns up to `n` unread bytes."""
        if not self._pos and self._base is None:
            data = self._ring.read(n)
        else:  # the front is pinned: copied from where the unread bytes begin
            n = min(n, self._buflen())
            base = self._ensure_base(n)
            pos = self._pos
            with base[pos : pos + n] as unread:
                data = bytes(unread)
            self._pos = pos + n
        if self._paused:
            self._maybe_resume_transport()
        return data

    def _find(self, sep: _Separator | int, start: int, end: int | None = None) -> int:
        i = self._ring.find(sep, self._pos + start, None if end is None else self._pos + end)
        return i if i < 0 else i - self._pos

    def _grow(self, need: int) -> None:
        """Moves the unread bytes to a ring of at least `need` bytes (and twice the old one)."""
        if self._lease is not None and not self._flush_lease():
            raise RuntimeError("the event loop still holds the receive buffer")
        old = self._ring
        new = PicoByteStreamPy(max(need, 2 * self._capacity))
        base, pos = self._base, self._pos
        self._base, self._pos = None, 0
        if base is not None:
            base.release()
        with memoryview(old) as data, data[pos:] as unread:
            new.write(unread)
        self._ring = new
        self._set_thresholds()
        try:
            old.close()
        except BufferError:
            pass  # a view derived from a returned one pins it: it is freed with that view

    # ---- what the protocol calls ----------------------------------------------------------

    def _get_buffer(self) -> memoryview:
        """The ring's free space, as a writable view the event loop receives into."""
        if self._lease is not None and not self._flush_lease():
            raise RuntimeError("the event loop asked for a new receive buffer while holding one")
        lease = self._ring.get_writable_view()
        if not len(lease):
            lease.release()
            raise RuntimeError("picoring.aio: the receive buffer is full but reading was not paused")
        self._lease = lease
        self._lease_len = len(lease)
        return lease

    def _buffer_updated(self, n: int) -> None:
        """`n` bytes were received into the last buffer: published, and waiters woken."""
        lease = self._lease
        if lease is None:
            raise RuntimeError("buffer_updated() without get_buffer()")
        self._uncommitted = n
        self._flush_lease()  # uvloop still holds the buffer here: then the next call does it
        if n >= self._lease_len:
            self._pause()
        self._wakeup_waiter()

    def _flush_lease(self) -> bool:
        """Releases the receive buffer and publishes what it received; `False` when the event
        loop still exports it (it does so around `buffer_updated`)."""
        lease = self._lease
        if lease is not None:
            try:
                lease.release()
            except BufferError:
                return False
            self._lease = None
        n = self._uncommitted
        if n:
            self._uncommitted = 0
            self._ring.commit(n)
        return True

    def _wakeup_waiter(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.cancelled():
                waiter.set_result(None)

    def _pause(self) -> None:
        if not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()  # type: ignore[attr-defined]

    def _maybe_resume_transport(self) -> None:
        if self._paused and self._ring.free_len() >= self._resume_at:
            self._paused = False
            assert self._transport is not None
            self._transport.resume_reading()  # type: ignore[attr-defined]

    def feed_data(self, data: bytes | bytearray | memoryview) -> None:  # type: ignore[override]
        """Appends `data` (for transports that are not buffered; the ring grows if needed)."""
        assert not self._eof, "feed_data after feed_eof"
        if not data:
            return
        if self._lease is not None:
            self._flush_lease()
        n = memoryview(data).nbytes
        if n > self._ring.free_len():
            self._release_front()
            if n > self._ring.free_len():
                self._grow(self._buflen() + n)
        self._ring.write(data)
        self._wakeup_waiter()
        if not self._ring.free_len():
            self._pause()

    def at_eof(self) -> bool:
        """Whether the peer closed and every byte was read."""
        return self._eof and not self._buflen() and not self._uncommitted

    async def _wait_for_data(self, func_name: str, need: int = 0) -> None:
        """Waits until data or EOF arrive (`need`: the bytes the call waits to hold)."""
        if self._waiter is not None:
            raise RuntimeError(
                f"{func_name}() called while another coroutine is "
                f"already waiting for incoming data"
            )
        assert not self._eof, "_wait_for_data after EOF"
        if self._pos or self._base is not None:
            self._release_front()
        # Full (with pinned bytes at most): the unread bytes move to a larger ring.
        if not self._ring.free_len() or self._pos + need > self._capacity:
            self._grow(self._pos + need)
        # Waiting for data while paused would deadlock (asyncio does the same).
        if self._paused:
            self._paused = False
            assert self._transport is not None
            self._transport.resume_reading()  # type: ignore[attr-defined]
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
        if self._uncommitted:
            self._flush_lease()

    # ---- asyncio.StreamReader's calls ---------------------------------------------------

    async def _scan(
        self, separators: _Separator | tuple[_Separator, ...], name: str
    ) -> tuple[int, int]:
        """readuntil's search: waits for the first separator and returns `(start, end)` of
        the match (offsets from the front), or `(-1, buffered)` at EOF without one.
        `LimitOverrunError` as asyncio raises it."""
        if isinstance(separators, tuple):
            seps = sorted(separators, key=len)  # the shortest match wins
        else:
            seps = [separators]
        if not seps:
            raise ValueError("Separator should contain at least one element")
        min_seplen = len(seps[0])
        max_seplen = len(seps[-1])
        if min_seplen == 0:
            raise ValueError("Separator should be at least one-byte string")
        self._begin()
        if self._exception is not None:
            raise self._exception
        offset = 0
        while True:
            buflen = self._buflen()
            if buflen - offset >= min_seplen:
                match_start = match_end = -1
                for sep in seps:
                    isep = self._find(sep, offset)
                    if isep != -1:
                        end = isep + len(sep)
                        if match_end < 0 or end < match_end:
                            match_start, match_end = isep, end
                if match_end >= 0:
                    break
                offset = max(0, buflen + 1 - max_seplen)
                if offset > self._limit:
                    raise LimitOverrunError(
                        "Separator is not found, and chunk exceed the limit", offset
                    )
            # A complete match may have arrived with the EOF: checked after the search.
            if self._eof:
                return -1, buflen
            await self._wait_for_data(name)
        if match_start > self._limit:
            raise LimitOverrunError(
                "Separator is found, but chunk is longer than limit", match_start
            )
        return match_start, match_end

    async def readuntil(  # type: ignore[override]
        self, separator: _Separator | tuple[_Separator, ...] = b"\n"
    ) -> bytes:
        """Reads through the first `separator` (or the first to end of several, a tuple), as
        ``asyncio.StreamReader.readuntil``: ``IncompleteReadError`` at EOF (``partial``: all
        that was left), ``LimitOverrunError`` beyond the limit (the bytes stay buffered)."""
        if (
            type(separator) is bytes
            and separator
            and not (self._out or self._uncommitted or self._pos or self._base is not None)
            and self._exception is None
        ):
            # A match starting within the limit is the first match: found, copied, consumed.
            i = self._ring.find(separator, 0, self._limit + len(separator))
            if i >= 0:
                return self._take(i + len(separator))
        start, end = await self._scan(separator, "readuntil")
        if self._pos or self._base is not None:
            self._release_front()
        if start < 0:
            raise IncompleteReadError(self._take(end), None)
        return self._take(end)

    async def readline(self) -> bytes:
        """Reads one line, ``b"\\n"`` included, as ``asyncio.StreamReader.readline``: the
        partial last line at EOF, ``b""`` after it; a line longer than the limit raises
        ``ValueError`` after discarding it (or all that is buffered of it)."""
        if self._out or self._uncommitted or self._pos or self._base is not None:
            self._begin_copy()
        if self._exception is not None:
            raise self._exception
        if not self._pos:  # (a pinned front is read around, on the slow path)
            ring = self._ring
            i = ring.find(10, 0, self._limit + 1)  # a newline within the limit
            if i >= 0:
                line = ring.read(i + 1)
                if self._paused:
                    self._maybe_resume_transport()
                return line
        return await self._readline_checked()

    async def _readline_checked(self) -> bytes:
        try:
            start, end = await self._scan(b"\n", "readuntil")
        except LimitOverrunError as e:
            self._discard_line(e.consumed)
            raise ValueError(e.args[0]) from None
        self._release_front()
        return self._take(end)

    def _discard_line(self, consumed: int) -> None:
        """What readline drops after a line over the limit: through its newline, or
        everything buffered when the newline has not arrived."""
        if self._find(b"\n", consumed, consumed + 1) == consumed:
            n = consumed + 1
        else:
            n = self._buflen()
        self._pos += n
        self._release_front()
        self._maybe_resume_transport()

    async def read(self, n: int = -1) -> bytes:
        """Reads up to `n` bytes (``n < 0``: until EOF), as ``asyncio.StreamReader.read``."""
        self._begin_copy()
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            blocks = []
            while True:
                block = await self.read(self._limit)
                if not block:
                    break
                blocks.append(block)
            return b"".join(blocks)
        if not self._buflen() and not self._eof:
            await self._wait_for_data("read")
        return self._take(n)

    async def readexactly(self, n: int) -> bytes:
        """Reads exactly `n` bytes, as ``asyncio.StreamReader.readexactly``:
        ``IncompleteReadError`` (with everything that was left) at EOF."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        self._begin_copy()
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        await self._wait_for(n, "readexactly")
        return self._take(n)

    async def _wait_for(self, n: int, name: str) -> None:
        """Waits until `n` bytes are buffered; `IncompleteReadError` (everything buffered,
        `n`) at EOF before that."""
        while self._buflen() < n:
            if self._eof:
                self._release_front()
                raise IncompleteReadError(self._take(self._buflen()), n)
            await self._wait_for_data(name, n)

    # ---- zero-copy calls ------------------------------------------------------------------

    async def readuntil_view(
        self, separator: _Separator | tuple[_Separator, ...] = b"\n"
    ) -> memoryview:
        """``readuntil``, returning a view into the ring (valid until the next read)."""
        start, end = await self._scan(separator, "readuntil")
        if start < 0:
            self._release_front()
            raise IncompleteReadError(self._take(end), None)
        return self._view(0, end)

    async def readline_view(self) -> memoryview:
        """``readline``, returning a view into the ring (valid until the next read): the
        partial last line at EOF, an empty view after it."""
        out = self._out
        if out:
            try:
                for view in out:
                    view.release()
            except BufferError:
                raise BufferError(_EXPORTED) from None
            out.clear()
        pos = self._pos
        if not (self._uncommitted or pos >= self._compact_at or self._exception):
            i = self._ring.find(10, pos, pos + self._limit + 1)  # a newline within the limit
            if i >= 0:
                end = i + 1 - pos
                base = self._base
                if base is None or i >= len(base):
                    base = self._ensure_base(end)
                    pos = self._pos
                view = base[pos : pos + end]
                self._pos = pos + end
                out.append(view)
                return view
        return (await self._lines(False))[0]

    async def readlines_view(self) -> list[memoryview]:
        """Every complete line already received (waiting for the first one), each a view
        into the ring valid until the next read; at EOF the partial last line ends the list,
        and ``[]`` comes after it. A line over the limit: as ``readline`` when it comes
        first, otherwise the list stops before it."""
        return await self._lines(True)

    async def _lines(self, batch: bool) -> list[memoryview]:
        self._begin()
        if self._exception is not None:
            raise self._exception
        end = self._find(10, 0, self._limit + 1)
        if end < 0:
            try:
                start, end = await self._scan(b"\n", "readuntil")
            except LimitOverrunError as e:
                self._discard_line(e.consumed)
                raise ValueError(e.args[0]) from None
            if start < 0:
                return self._views(((0, end),) if end or not batch else (), end)
        else:
            end += 1
        if not batch:
            return self._views(((0, end),), end)
        # Every later complete line within the limit, as views of one base view.
        buflen = self._buflen()
        base = self._ensure_base(buflen)
        pos = self._pos  # positions below are the ring's (and the base view's)
        stop = pos + buflen
        views = [base[pos : pos + end]]
        start, limit = pos + end, self._limit
        for i in self._ring.find_all(10, start):
            if i - start > limit:
                break
            views.append(base[start : i + 1])
            start = i + 1
        else:
            if self._eof and start < stop <= start + limit:  # the partial last line
                views.append(base[start:stop])
                start = stop
        self._pos = start
        self._out = views[:]
        return views

    async def readexactly_view(self, n: int) -> memoryview:
        """``readexactly``, returning a view into the ring (valid until the next read)."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        self._begin()
        if self._exception is not None:
            raise self._exception
        await self._wait_for(n, "readexactly")
        return self._view(0, n)

    async def _frame_len(self, st: struct.Struct, max_len: int | None) -> int:
        """Waits for a complete prefix and returns the payload length it announces."""
        size = st.size
        await self._wait_for(size, "read_frame_view")
        (n,) = st.unpack_from(self._ensure_base(size), self._pos)
        limit = self._limit if max_len is None else max_len
        if n > limit:
            raise LimitOverrunError(
                f"frame of {n} bytes exceeds the limit of {limit} bytes", size + n
            )
        return int(n)

    async def read_frame_view(self, prefix: str = "!I", *, max_len: int | None = None) -> memoryview:
        """The payload of the next length-prefixed frame, a view into the ring (valid until
        the next read). `prefix` is the ``struct`` format of the length (one unsigned integer,
        counting payload bytes only: ``"!I"``, ``"<H"``, ``"B"``...). A frame longer than
        `max_len` (default: the limit) raises ``LimitOverrunError`` (``consumed``: the whole
        frame's size), leaving it buffered; EOF inside a frame, ``IncompleteReadError``."""
        return (await self._frames(prefix, max_len, False))[0]

    async def read_frames_view(
        self, prefix: str = "!I", *, max_len: int | None = None
    ) -> list[memoryview]:
        """Every complete frame already received (waiting for the first one), as
        ``read_frame_view`` returns them; ``[]`` at EOF with nothing left. A frame over
        `max_len` raises when it comes first, otherwise the list stops before it."""
        return await self._frames(prefix, max_len, True)

    async def _frames(self, prefix: str, max_len: int | None, batch: bool) -> list[memoryview]:
        st = _prefix_struct(prefix)
        self._begin()
        if self._exception is not None:
            raise self._exception
        size = st.size
        if batch and self._eof and not self._buflen():
            return []
        n = await self._frame_len(st, max_len)
        await self._wait_for(size + n, "read_frame_view")
        end = size + n
        bounds = [(size, end)]
        if batch:
            buflen = self._buflen()
            base = self._ensure_base(buflen)
            pos = self._pos
            limit = self._limit if max_len is None else max_len
            unpack = st.unpack_from
            while buflen - end >= size:
                (n,) = unpack(base, pos + end)
                if n > limit or buflen - end - size < n:
                    break
                bounds.append((end + size, end + size + n))
                end += size + n
        return self._views(bounds, end)


class StreamReaderProtocol(asyncio.BufferedProtocol):
    """The protocol between a transport and a :class:`StreamReader`: the transport receives
    into the reader's ring (``get_buffer``/``buffer_updated``), and flow control for
    ``asyncio.StreamWriter.drain()`` is asyncio's ``StreamReaderProtocol``'s.

    A ``BufferedProtocol`` only (not an ``asyncio.Protocol``), so uvloop uses its buffered
    path too. Same constructor as ``asyncio.StreamReaderProtocol``.
    """

    _source_traceback = None

    def __init__(
        self,
        stream_reader: StreamReader | None,
        client_connected_cb: _ConnectedCallback | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._loop = loop if loop is not None else asyncio.get_event_loop()
        # Writing flow control (asyncio.streams.FlowControlMixin).
        self._paused = False
        self._drain_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._connection_lost = False
        self._stream_reader_wr: weakref.ref[StreamReader] | None = None
        if stream_reader is not None:
            self._stream_reader_wr = weakref.ref(stream_reader)
            self._source_traceback = stream_reader._source_traceback
        self._strong_reader = stream_reader if client_connected_cb is not None else None
        self._stream_writer: StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._client_connected_cb = client_connected_cb
        self._over_ssl = False
        self._closed: asyncio.Future[None] = self._loop.create_future()
        self._discard: bytearray | None = None

    @property
    def _stream_reader(self) -> StreamReader | None:
        if self._stream_reader_wr is None:
            return None
        return self._stream_reader_wr()

    # asyncio.StreamWriter.start_tls() calls one or the other, depending on the version.
    def _replace_writer(self, writer: StreamWriter) -> None:
        self._stream_writer = writer
        self._replace_transport(writer.transport)

    def _replace_transport(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._over_ssl = transport.get_extra_info("sslcontext") is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        reader = self._stream_reader
        if reader is not None:
            reader.set_transport(transport)
        self._over_ssl = transport.get_extra_info("sslcontext") is not None
        if self._client_connected_cb is not None:
            writer = StreamWriter(cast(asyncio.WriteTransport, transport), self, reader, self._loop)
            self._stream_writer = writer
            # `reader` is None only if it was garbage-collected (as in asyncio).
            res = self._client_connected_cb(cast(StreamReader, reader), writer)
            if asyncio.iscoroutine(res):

                def callback(task: asyncio.Task[None]) -> None:
                    if task.cancelled():
                        transport.close()
                        return
                    exc = task.exception()
                    if exc is not None:
                        self._loop.call_exception_handler(
                            {
                                "message": "Unhandled exception in client_connected_cb",
                                "exception": exc,
                                "transport": transport,
                            }
                        )
                        transport.close()

                self._task = self._loop.create_task(res)
                self._task.add_done_callback(callback)
            self._strong_reader = None

    def get_buffer(self, sizehint: int) -> memoryview | bytearray:
        reader = self._stream_reader
        if reader is None:  # nobody reads any more: received bytes are dropped
            if self._discard is None:
                self._discard = bytearray(64 * 1024)
            return self._discard
        return reader._get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        reader = self._stream_reader
        if reader is not None:
            reader._buffer_updated(nbytes)

    def eof_received(self) -> bool:
        reader = self._stream_reader
        if reader is not None:
            reader._flush_lease()
            reader.feed_eof()
        # Over SSL, returning True has no effect but a warning.
        return not self._over_ssl

    def connection_lost(self, exc: Exception | None) -> None:
        reader = self._stream_reader
        if reader is not None:
            reader._flush_lease()
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if not self._closed.done():
            if exc is None:
                self._closed.set_result(None)
            else:
                self._closed.set_exception(exc)
        # Wake up the writers if paused (FlowControlMixin.connection_lost).
        self._connection_lost = True
        if self._paused:
            for waiter in self._drain_waiters:
                if not waiter.done():
                    if exc is None:
                        waiter.set_result(None)
                    else:
                        waiter.set_exception(exc)
        self._stream_reader_wr = None
        self._stream_writer = None
        self._task = None
        self._transport = None

    def pause_writing(self) -> None:
        assert not self._paused
        self._paused = True

    def resume_writing(self) -> None:
        assert self._paused
        self._paused = False
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _drain_helper(self) -> None:
        if self._connection_lost:
            raise ConnectionResetError("Connection lost")
        if not self._paused:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            self._drain_waiters.remove(waiter)

    def _get_close_waiter(self, stream: object) -> asyncio.Future[None]:
        return self._closed

    def __del__(self) -> None:
        # Marks an exception nobody awaited as retrieved (as asyncio's protocol does).
        try:
            closed = self._closed
        except AttributeError:
            return
        if closed.done() and not closed.cancelled():
            closed.exception()


def _reader(limit: int, capacity: int | None, loop: asyncio.AbstractEventLoop) -> StreamReader:
    return StreamReader(limit=limit, loop=loop, capacity=capacity)


async def open_connection(
    host: str | None = None,
    port: int | str | None = None,
    *,
    limit: int = _DEFAULT_LIMIT,
    capacity: int | None = None,
    **kwds: Any,
) -> tuple[StreamReader, StreamWriter]:
    """``asyncio.open_connection`` with a :class:`StreamReader` (``capacity``: its ring's
    initial size); every other argument goes to ``loop.create_connection``."""
    loop = asyncio.get_running_loop()
    reader = _reader(limit, capacity, loop)
    protocol = StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(
        lambda: protocol, host, port, **kwds  # type: ignore[arg-type]
    )
    writer = StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def start_server(
    client_connected_cb: _ConnectedCallback,
    host: str | Sequence[str] | None = None,
    port: int | str | None = None,
    *,
    limit: int = _DEFAULT_LIMIT,
    capacity: int | None = None,
    **kwds: Any,
) -> asyncio.Server:
    """``asyncio.start_server`` whose callback gets a :class:`StreamReader`; every other
    argument goes to ``loop.create_server``."""
    loop = asyncio.get_running_loop()

    def factory() -> StreamReaderProtocol:
        return StreamReaderProtocol(_reader(limit, capacity, loop), client_connected_cb, loop)

    return await loop.create_server(factory, host, port, **kwds)  # type: ignore[arg-type]


if hasattr(socket, "AF_UNIX"):
    __all__ += ["open_unix_connection", "start_unix_server"]

    async def open_unix_connection(
        path: str | None = None,
        *,
        limit: int = _DEFAULT_LIMIT,
        capacity: int | None = None,
        **kwds: Any,
    ) -> tuple[StreamReader, StreamWriter]:
        """``asyncio.open_unix_connection`` with a :class:`StreamReader`."""
        loop = asyncio.get_running_loop()
        reader = _reader(limit, capacity, loop)
        protocol = StreamReaderProtocol(reader, loop=loop)
        transport, _ = await loop.create_unix_connection(lambda: protocol, path, **kwds)
        writer = StreamWriter(transport, protocol, reader, loop)
        return reader, writer

    async def start_unix_server(
        client_connected_cb: _ConnectedCallback,
        path: str | None = None,
        *,
        limit: int = _DEFAULT_LIMIT,
        capacity: int | None = None,
        **kwds: Any,
    ) -> asyncio.Server:
        """``asyncio.start_unix_server`` whose callback gets a :class:`StreamReader`."""
        loop = asyncio.get_running_loop()

        def factory() -> StreamReaderProtocol:
            return StreamReaderProtocol(_reader(limit, capacity, loop), client_connected_cb, loop)

        return await loop.create_unix_server(factory, path, **kwds)
