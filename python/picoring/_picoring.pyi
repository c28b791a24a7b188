"""Type stubs for the native module ``picoring._picoring``."""

import sys
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Self, SupportsIndex, overload

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

class _Closable:
    """Lifecycle shared by every class: ``close()`` frees the memory now (``BufferError`` while a
    view is alive), ``with`` closes on exit, and later calls raise ``ValueError``."""

    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, view: memoryview, /) -> None: ...
    def len(self) -> int:
        """Number of bytes held (upstream 0.6 spelling of ``len(obj)``)."""
    def clear(self) -> None: ...

class _ByteRing(_Closable):
    """Methods every byte ring has (``PicoRingByte``, ``PicoQueueByte``, ``PicoByteStreamPy``)."""

    def __init__(self, capacity: SupportsIndex) -> None: ...
    def capacity(self) -> int:
        """Capacity in bytes: exact, all of it usable (rounded up to whole pages)."""
    def free_len(self) -> int:
        """``capacity() - len()``."""
    def push(self, value: SupportsIndex) -> bool:
        """Appends one byte; ``False`` when full."""
    def pop(self) -> int | None:
        """Removes the oldest byte; ``None`` when empty."""
    def readinto(self, buffer: Buffer) -> int:
        """Copies up to ``len(buffer)`` bytes out and removes them; returns the count."""
    def get_writable_view(self, n: SupportsIndex | None = None) -> memoryview:
        """A writable view of up to ``n`` free bytes; publish them with ``commit``."""
    def consume(self, n: SupportsIndex) -> None:
        """Drops ``n`` queued bytes without copying (``ValueError`` if fewer are queued)."""
    def commit(self, n: SupportsIndex) -> None:
        """Publishes ``n`` bytes written into the last writable view (``ValueError`` beyond it)."""

class PicoRingByte(_ByteRing):
    """A byte FIFO whose queued bytes are always one contiguous memoryview."""

    def push_bytes(self, data: Buffer) -> bool:
        """Appends all of ``data`` (``True``) or nothing when it does not fit (``False``)."""
    def pop_bytes(self, n: SupportsIndex) -> bytes:
        """Removes and returns up to ``n`` bytes."""
    def get_readable_view(self) -> memoryview:
        """Every queued byte as one read-only memoryview, O(1), wrapped or not."""
    def advance_tail(self, n: SupportsIndex) -> None:
        """Drops ``n`` queued bytes (``ValueError`` if fewer are queued)."""
    def advance_head(self, n: SupportsIndex) -> None:
        """Upstream 0.6 name of ``commit``."""

class PicoQueueByte(_ByteRing):
    """A bulk byte queue: all-or-nothing ``push_bulk``, partial ``pop_bulk``."""

    def push_bulk(self, data: Buffer) -> bool: ...
    def pop_bulk(self, n: SupportsIndex) -> bytes: ...
    def get_view(self) -> memoryview: ...

class PicoByteStreamPy(_ByteRing):
    """A byte stream read and written like a non-blocking socket."""

    def write(self, data: Buffer) -> int:
        """Stores what fits; returns how many bytes."""
    def read(self, n: SupportsIndex) -> bytes:
        """Removes and returns up to ``n`` bytes (``b""`` when empty)."""
    def available_to_read(self) -> int: ...
    def available_to_write(self) -> int: ...
    def peek(self) -> memoryview: ...
    def read_until(self, delim: SupportsIndex) -> bytes | None: ...
    def next_line(self) -> bytes | None: ...

class PicoListByte(_Closable):
    """A bytearray that grows in place and never moves: views stay valid while it grows."""

    def __init__(
        self,
        data: Buffer | Iterable[SupportsIndex] | None = None,
        max_capacity: SupportsIndex | None = None,
    ) -> None: ...
    @overload
    def __getitem__(self, index: SupportsIndex) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> bytes: ...
    @overload
    def __setitem__(self, index: SupportsIndex, value: SupportsIndex) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Buffer) -> None: ...
    def __iter__(self) -> Iterator[int]: ...
    def __eq__(self, other: object) -> bool: ...
    def capacity(self) -> int: ...
    def max_capacity(self) -> int: ...
    def append(self, value: SupportsIndex) -> None: ...
    def push(self, value: SupportsIndex) -> None: ...
    def extend(self, data: Buffer | Iterable[SupportsIndex]) -> None: ...
    def pop(self, index: SupportsIndex = -1) -> int: ...
    def get(self, index: SupportsIndex) -> int | None: ...
    def set(self, index: SupportsIndex, value: SupportsIndex) -> bool: ...
