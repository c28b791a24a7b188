"""Zero-copy circular buffers on mirrored virtual memory.

- ``PicoRingByte``: a byte ring whose queued bytes are always one contiguous memoryview.
- ``PicoQueueByte``: a bulk byte queue (``push_bulk``/``pop_bulk``/``get_view``).
- ``PicoByteStreamPy``: a byte stream read and written like a socket.
- ``PicoListByte``: a ``bytearray`` that grows in place and never moves.
- ``PicoList(typecode="B", initial=None)``: an ``array.array`` (typecodes b B h H i I l L q Q
  f d) that grows in place and never moves; ``PicoList()`` is a byte list.
- ``PicoRing(typecode, frames, channels=1, overwrite=False)``: typed frames whose queued part
  is one contiguous ``(frames, channels)`` array, for audio and sensor data.
- ``SharedRingByte(capacity, name=None)``: a byte ring shared between two processes (one
  writes, one reads), passed to ``multiprocessing`` children or opened by name.
- ``SharedRing(typecode, frames, channels=1, name=None)``: ``PicoRing``'s typed frames shared
  between two processes; the reader sees ``(frames, channels)`` arrays without a copy.

Every class is safe to share between threads, exports the buffer protocol (``bytes(obj)``,
``memoryview(obj)`` and ``numpy.frombuffer(obj, ...)`` are zero-copy) and refuses, with
``BufferError``, any call that would overwrite, free or move bytes a live view exports.

Pushing more than fits: ``push``/``push_bytes``/``push_bulk`` return ``False`` and write nothing;
``write`` stores what fits and returns the count. Reading more than is there returns what is
there (``b""`` when empty); ``pop()`` returns ``None`` when empty. Explicit counts beyond what is
there (``advance_tail``, ``advance_head``, ``commit``, ``consume``) raise ``ValueError``. A
writable view (``get_writable_view()``) is an exclusive lease on the free space: while it lives,
pushes, ``commit`` and another writable view raise ``BufferError``, so release it first
(``with ring.get_writable_view() as free: n = sock.recv_into(free)``, then ``ring.commit(n)``).

Waiting: ``PicoRing.push(data, timeout=None)`` and ``pop(n, timeout=None)`` wait, with the GIL
released, for room or data; ``timeout`` is in seconds as in ``queue.Queue.get`` (``None`` waits
forever, ``0`` not at all) and, as with sockets, running out raises ``TimeoutError`` with nothing
written or removed. ``PicoByteStreamPy.read(n, timeout=0.0)``/``write(data, timeout=0.0)`` are
non-blocking by default (as in upstream 0.6); with another timeout (``None``: forever) they wait
like a blocking socket for at least one byte (or one byte of room), then return what is there.
``close()`` wakes every waiter, which then raises ``ValueError`` (operation on a closed object).

Bulk calls are the fast path: every call from Python has a fixed cost of a few hundred
nanoseconds whatever it moves (``make python-bench`` prints the per-call table), so move data in
chunks and read it in place through views.
"""

from ._picoring import (
    PicoByteStreamPy,
    PicoList,
    PicoListByte,
    PicoQueueByte,
    PicoRing,
    PicoRingByte,
    SharedRing,
    SharedRingByte,
)

__all__ = [
    "PicoByteStreamPy",
    "PicoList",
    "PicoListByte",
    "PicoQueueByte",
    "PicoRing",
    "PicoRingByte",
    "SharedRing",
    "SharedRingByte",
]

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("picoring")
except PackageNotFoundError:  # imported from a source tree without installing
    __version__ = "unknown"
