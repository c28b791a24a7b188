"""Type stubs for the native module ``picoring._picoring``.

The classes are PyO3 classes: built by ``__new__``, which takes the arguments declared here as
``__init__`` (the runtime's ``__init__`` accepts the same ones and does nothing more), final
(they cannot be subclassed), and their special methods take positional arguments only.
``_Closable``, ``_ByteRing``, ``_Frames`` and ``_SharedEnds`` exist only here, to share the
declarations of methods every class (every byte ring, typed frame ring, shared ring) has. ``python -m mypy.stubtest picoring._picoring`` checks this file
against the built module."""

import array
import sys
from collections.abc import Iterable, Iterator
from types import TracebackType

from _typeshed import SupportsRead, SupportsWrite
from typing import Any, Literal, Self, SupportsIndex, final, overload, type_check_only

from typing_extensions import disjoint_base

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

__all__ = [
    "PicoRingByte",
    "PicoQueueByte",
    "PicoByteStreamPy",
    "PicoListByte",
    "PicoListByteIterator",
    "_Export",
    "PicoList",
    "PicoListIterator",
    "_picolist_reconstructor",
    "PicoRing",
    "SharedRingByte",
    "SharedRing",
    "Broadcast",
    "BroadcastReader",
    "Lagged",
]

@type_check_only
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
    def __sizeof__(self) -> int:
        """``object.__sizeof__(self)`` plus the memory held: a list's committed bytes
        (``capacity() * itemsize``; reserved but uncommitted address space is not counted), a
        ring's data buffer once (not twice for its mirror); the basic size alone once closed."""

@type_check_only
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
        """A writable view of up to ``n`` free bytes: an exclusive lease on them. While it lives,
        pushes, ``commit`` and another writable view raise ``BufferError``; release it
        (``with ring.get_writable_view() as free:``), then publish with ``commit``."""
    def consume(self, n: SupportsIndex) -> None:
        """Drops ``n`` queued bytes without copying (``ValueError`` if fewer are queued)."""
    def commit(self, n: SupportsIndex) -> None:
        """Publishes ``n`` bytes written into the last writable view once it is released
        (``BufferError`` while it lives, ``ValueError`` beyond it)."""

@final
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

@final
class PicoQueueByte(_ByteRing):
    """A bulk byte queue: all-or-nothing ``push_bulk``, partial ``pop_bulk``."""

    def push_bulk(self, data: Buffer) -> bool: ...
    def pop_bulk(self, n: SupportsIndex) -> bytes: ...
    def get_view(self) -> memoryview: ...

@final
class PicoByteStreamPy(_ByteRing):
    """A byte stream read and written like a non-blocking socket."""

    def write(self, data: Buffer, timeout: float | None = 0.0) -> int:
        """Stores what fits; returns how many bytes. With a ``timeout`` (seconds; ``None``:
        forever) other than ``0``, first waits until a byte fits, like a blocking
        ``socket.send``, raising ``TimeoutError`` when none fits in time."""
    def read(self, n: SupportsIndex, timeout: float | None = 0.0) -> bytes:
        """Removes and returns up to ``n`` bytes (``b""`` when empty). With a ``timeout``
        (seconds; ``None``: forever) other than ``0``, first waits until a byte is readable,
        like a blocking ``socket.recv``, raising ``TimeoutError`` when none arrives in time;
        ``close()`` wakes waiters, which raise ``ValueError``."""
    def available_to_read(self) -> int: ...
    def available_to_write(self) -> int: ...
    def peek(self) -> memoryview: ...
    def read_until(self, delim: SupportsIndex) -> bytes | None: ...
    def next_line(self) -> bytes | None: ...
    def find(self, sub: Buffer | SupportsIndex, start: int = 0, end: int | None = None) -> int:
        """``bytes.find`` on the queued bytes, without copying them: the index of the first
        ``sub`` in ``[start:end]``, ``-1`` when absent."""
    def find_all(
        self, sub: Buffer | SupportsIndex, start: int = 0, end: int | None = None
    ) -> list[int]:
        """The index of every occurrence of ``sub`` in the queued bytes ``[start:end]``, in
        order and not overlapping (``find`` repeated past each match)."""

@disjoint_base
class PicoListByte(_Closable):
    """A bytearray that grows in place and never moves: views stay valid while it grows."""

    @overload
    def __init__(
        self,
        source: Buffer | Iterable[SupportsIndex] | SupportsIndex | None = None,
        encoding: None = None,
        errors: None = None,
        *,
        max_capacity: SupportsIndex | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        source: str,
        encoding: str,
        errors: str | None = None,
        *,
        max_capacity: SupportsIndex | None = None,
    ) -> None: ...
    @overload
    def __getitem__(self, index: SupportsIndex, /) -> int: ...
    @overload
    def __getitem__(self, index: slice, /) -> bytes: ...
    def __reversed__(self) -> Iterator[int]: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __lt__(self, other: Buffer, /) -> bool: ...
    def __le__(self, other: Buffer, /) -> bool: ...
    def __gt__(self, other: Buffer, /) -> bool: ...
    def __ge__(self, other: Buffer, /) -> bool: ...
    def __mod__(self, values: Any, /) -> PicoListByte: ...
    def __rmod__(self, values: Any, /) -> Any: ...
    def copy(self) -> PicoListByte: ...
    # Searches and tests, as bytearray's (run in place, without a copy).
    def find(
        self, sub: Buffer | SupportsIndex, start: SupportsIndex | None = None, end: SupportsIndex | None = None, /
    ) -> int: ...
    def rfind(
        self, sub: Buffer | SupportsIndex, start: SupportsIndex | None = None, end: SupportsIndex | None = None, /
    ) -> int: ...
    def index(
        self, sub: Buffer | SupportsIndex, start: SupportsIndex | None = None, end: SupportsIndex | None = None, /
    ) -> int: ...
    def rindex(
        self, sub: Buffer | SupportsIndex, start: SupportsIndex | None = None, end: SupportsIndex | None = None, /
    ) -> int: ...
    def count(
        self, sub: Buffer | SupportsIndex, start: SupportsIndex | None = None, end: SupportsIndex | None = None, /
    ) -> int: ...
    def startswith(
        self,
        prefix: Buffer | tuple[Buffer, ...],
        start: SupportsIndex | None = None,
        end: SupportsIndex | None = None,
        /,
    ) -> bool: ...
    def endswith(
        self,
        suffix: Buffer | tuple[Buffer, ...],
        start: SupportsIndex | None = None,
        end: SupportsIndex | None = None,
        /,
    ) -> bool: ...
    def decode(self, encoding: str | None = None, errors: str | None = None) -> str: ...
    # Methods that build new bytes: built in Rust from the list in place (join, splitlines,
    # expandtabs and `%`: bytearray's own, run on a copy); they return what bytearray's return
    # (a bytearray), except `%` and translate (a PicoListByte).
    def translate(self, table: Buffer | None, /, delete: Buffer = b"") -> PicoListByte: ...
    @staticmethod
    def maketrans(frm: Buffer, to: Buffer, /) -> bytes: ...
    @classmethod
    def fromhex(cls, string: str, /) -> Self: ...
    def hex(self, sep: str | bytes | None = None, bytes_per_sep: SupportsIndex = 1) -> str: ...
    def join(self, iterable_of_bytes: Iterable[Buffer], /) -> bytearray: ...
    def split(self, sep: Buffer | None = None, maxsplit: SupportsIndex = -1) -> list[bytearray]: ...
    def rsplit(self, sep: Buffer | None = None, maxsplit: SupportsIndex = -1) -> list[bytearray]: ...
    def splitlines(self, keepends: bool = False) -> list[bytearray]: ...
    def partition(self, sep: Buffer, /) -> tuple[bytearray, bytearray, bytearray]: ...
    def rpartition(self, sep: Buffer, /) -> tuple[bytearray, bytearray, bytearray]: ...
    def strip(self, bytes: Buffer | None = None, /) -> bytearray: ...
    def lstrip(self, bytes: Buffer | None = None, /) -> bytearray: ...
    def rstrip(self, bytes: Buffer | None = None, /) -> bytearray: ...
    def replace(self, old: Buffer, new: Buffer, count: SupportsIndex = -1, /) -> bytearray: ...
    def removeprefix(self, prefix: Buffer, /) -> bytearray: ...
    def removesuffix(self, suffix: Buffer, /) -> bytearray: ...
    def center(self, width: SupportsIndex, fillchar: bytes | bytearray = b" ", /) -> bytearray: ...
    def ljust(self, width: SupportsIndex, fillchar: bytes | bytearray = b" ", /) -> bytearray: ...
    def rjust(self, width: SupportsIndex, fillchar: bytes | bytearray = b" ", /) -> bytearray: ...
    def zfill(self, width: SupportsIndex, /) -> bytearray: ...
    def expandtabs(self, tabsize: SupportsIndex = 8) -> bytearray: ...
    def upper(self) -> bytearray: ...
    def lower(self) -> bytearray: ...
    def swapcase(self) -> bytearray: ...
    def title(self) -> bytearray: ...
    def capitalize(self) -> bytearray: ...
    def isalnum(self) -> bool: ...
    def isalpha(self) -> bool: ...
    def isascii(self) -> bool: ...
    def isdigit(self) -> bool: ...
    def islower(self) -> bool: ...
    def isspace(self) -> bool: ...
    def istitle(self) -> bool: ...
    def isupper(self) -> bool: ...
    @overload
    def __setitem__(self, index: SupportsIndex, value: SupportsIndex, /) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Buffer, /) -> None: ...
    def __iter__(self) -> PicoListByteIterator: ...
    def __contains__(self, value: SupportsIndex | Buffer, /) -> bool:
        """As ``bytearray``: a byte (``ValueError`` outside ``range(256)``) or a run of bytes."""
    def __eq__(self, other: object, /) -> bool: ...
    def capacity(self) -> int: ...
    def max_capacity(self) -> int: ...
    def append(self, value: SupportsIndex, /) -> None: ...
    def push(self, value: SupportsIndex) -> None: ...
    def extend(self, data: Buffer | Iterable[SupportsIndex]) -> None: ...
    def pop(self, index: SupportsIndex = -1) -> int:
        """The bytes after ``index`` move back a place; ``BufferError`` while a view is alive."""
    def get(self, index: SupportsIndex) -> int | None: ...
    def set(self, index: SupportsIndex, value: SupportsIndex) -> bool: ...
    def __delitem__(self, index: SupportsIndex | slice, /) -> None:
        """The bytes after the deleted ones move back in place; ``BufferError`` while a view is alive."""
    def reverse(self) -> None: ...
    def __imul__(self, n: SupportsIndex, /) -> Self: ...
    def insert(self, index: SupportsIndex, value: SupportsIndex) -> None: ...
    def remove(self, value: SupportsIndex) -> None: ...
    def __add__(self, other: Buffer, /) -> PicoListByte: ...
    def __radd__(self, other: Buffer, /) -> PicoListByte: ...
    def __iadd__(self, other: Buffer, /) -> Self: ...
    def __mul__(self, n: SupportsIndex, /) -> PicoListByte: ...
    def __rmul__(self, n: SupportsIndex, /) -> PicoListByte: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class PicoListByteIterator:
    """``iter(PicoListByte)``: walks the list by index, so bytes appended meanwhile are seen."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    def __setstate__(self, next: int, /) -> None: ...

@disjoint_base
class PicoList(_Closable):
    """An ``array.array`` (typecodes ``b B h H i I l L q Q f d``, and the text typecodes ``u``
    and, from Python 3.13, ``w``, whose items are one-character ``str``) that grows in place and
    never moves: memoryviews and numpy arrays over it stay valid while it grows. ``PicoList()``
    holds bytes (typecode ``"B"``). Wrong types raise ``TypeError``, out-of-range values
    ``OverflowError``, as ``array.array`` does. It can be subclassed and pickled."""

    def __new__(
        cls,
        typecode: str = "B",
        initial: Buffer | Iterable[int | float | str] = ...,
        max_capacity: SupportsIndex | None = None,
    ) -> Self: ...
    def __init__(
        self,
        typecode: str = "B",
        initial: Buffer | Iterable[int | float | str] = ...,
        max_capacity: SupportsIndex | None = None,
    ) -> None: ...
    @property
    def typecode(self) -> str: ...
    @property
    def itemsize(self) -> int: ...
    @overload
    def __getitem__(self, index: SupportsIndex, /) -> int | float | str: ...
    @overload
    def __getitem__(self, index: slice, /) -> PicoList:
        """A copy of the selected items, as a new ``PicoList`` of the same typecode."""
    @overload
    def __setitem__(self, index: SupportsIndex, value: int | float | str, /) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Buffer | Iterable[int | float | str], /) -> None: ...
    def __delitem__(self, index: SupportsIndex | slice, /) -> None:
        """The items after the deleted ones move back in place; ``BufferError`` while a view is alive."""
    def __iter__(self) -> PicoListIterator: ...
    def __contains__(self, value: object, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __lt__(self, other: PicoList | array.array[Any], /) -> bool: ...
    def __le__(self, other: PicoList | array.array[Any], /) -> bool: ...
    def __gt__(self, other: PicoList | array.array[Any], /) -> bool: ...
    def __ge__(self, other: PicoList | array.array[Any], /) -> bool: ...
    def __add__(self, other: PicoList | array.array[Any], /) -> PicoList: ...
    def __radd__(self, other: PicoList | array.array[Any], /) -> PicoList: ...
    def __iadd__(self, other: PicoList | array.array[Any], /) -> Self: ...
    def __mul__(self, n: SupportsIndex, /) -> PicoList: ...
    def __rmul__(self, n: SupportsIndex, /) -> PicoList: ...
    def __imul__(self, n: SupportsIndex, /) -> Self: ...
    def __reduce_ex__(self, protocol: SupportsIndex, /) -> tuple[Any, ...]: ...
    def __copy__(self) -> Self: ...
    def __deepcopy__(self, memo: Any, /) -> Self: ...
    def len(self) -> int:
        """Number of items (upstream 0.6 spelling of ``len(lst)``)."""
    def capacity(self) -> int:
        """Items that fit in the memory committed so far."""
    def max_capacity(self) -> int:
        """The most items the reservation can ever hold."""
    def append(self, value: int | float | str, /) -> None: ...
    def push(self, value: int | float | str) -> None:
        """Upstream 0.6 name of ``append``."""
    def extend(self, data: Buffer | Iterable[int | float | str]) -> None:
        """A buffer of the same format is appended in one copy; an iterable item by item."""
    def insert(self, index: SupportsIndex, value: int | float | str) -> None:
        """O(n): moves the items after ``index``; ``BufferError`` while a view is alive."""
    def pop(self, index: SupportsIndex = -1) -> int | float | str:
        """O(1) for the last item, O(n) otherwise; ``BufferError`` while a view is alive."""
    def get(self, index: SupportsIndex) -> int | float | str | None: ...
    def set(self, index: SupportsIndex, value: int | float | str) -> bool: ...
    def fromunicode(self, text: str, /) -> None:
        """Appends the characters of ``text`` (typecodes ``u`` and ``w`` only)."""
    def tounicode(self) -> str:
        """The characters as a ``str`` (typecodes ``u`` and ``w`` only)."""
    def tolist(self) -> list[int | float | str]: ...
    def remove(self, value: int | float | str) -> None: ...
    def index(self, value: int | float | str, start: SupportsIndex = 0, stop: SupportsIndex = ..., /) -> int: ...
    def count(self, value: int | float | str) -> int: ...
    def reverse(self) -> None: ...
    def buffer_info(self) -> tuple[int, int]:
        """``(address, length in items)``: the address stays the same while the list grows."""
    def byteswap(self) -> None: ...
    def tobytes(self) -> bytes: ...
    def frombytes(self, data: Buffer) -> None: ...
    def fromlist(self, items: list[int | float | str]) -> None: ...
    def tofile(self, f: SupportsWrite[bytes]) -> None: ...
    def fromfile(self, f: SupportsRead[bytes], n: int) -> None: ...

def _picolist_reconstructor(cls: type[PicoList], typecode: str, byteorder: str, items: bytes) -> PicoList:
    """Rebuilds a ``PicoList`` pickled with protocol 3 or later."""

@final
class PicoListIterator:
    """``iter(PicoList)``: walks the list by index, so items appended meanwhile are seen."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> int | float | str: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    def __setstate__(self, next: int, /) -> None: ...

@final
class _Export:
    """The exporter behind a memoryview of part of an object (the view's ``obj``): a byte
    ring's writable view, a ``PicoList``'s items, a ``PicoRing``'s frames. It keeps the owner
    alive while the view lives."""

    @property
    def owner(self) -> object: ...

@type_check_only
class _Frames(_Closable):
    """Methods both typed frame rings have (``PicoRing``, ``SharedRing``)."""

    @property
    def typecode(self) -> str: ...
    @property
    def itemsize(self) -> int: ...
    @property
    def channels(self) -> int: ...
    def free_len(self) -> int: ...
    def consume(self, n: SupportsIndex) -> None:
        """Drops ``n`` frames without copying (``ValueError`` if fewer are queued)."""
    def get_readable_view(self) -> memoryview:
        """Every queued frame as one read-only memoryview of shape ``(frames, channels)``
        (``(frames,)`` for one channel): ``numpy.asarray(view)`` is a zero-copy array."""

@final
class PicoRing(_Frames):
    """Typed frames (``channels`` items each) whose queued part is always one contiguous
    ``(frames, channels)`` array. ``len()`` and ``capacity()`` count frames."""

    def __init__(
        self,
        typecode: str,
        frames: SupportsIndex,
        channels: SupportsIndex = 1,
        overwrite: bool = False,
    ) -> None: ...
    @property
    def overwrite(self) -> bool: ...
    def len(self) -> int:
        """Number of queued frames (as ``len(ring)``)."""
    def capacity(self) -> int:
        """Capacity in frames, exactly as asked."""
    def push(self, data: Buffer, timeout: float | None = None) -> int:
        """Appends every frame of ``data`` (shape ``(n, channels)`` or ``(n * channels,)``, the
        ring's format) and returns the count; waits up to ``timeout`` seconds (``None``:
        forever) for room, then raises ``TimeoutError`` having written nothing. Overwrite mode
        never waits: it evicts the oldest frames. Blocks of ``n`` pushed and ``m`` popped can
        wait for each other forever only if ``n + m > capacity()``."""
    def pop(self, n: SupportsIndex | None = None, timeout: float | None = None) -> Any:
        """Removes the oldest ``n`` frames (all queued ones when ``None``) into a new numpy
        array (a memoryview without numpy); waits up to ``timeout`` seconds for ``n`` frames,
        then raises ``TimeoutError`` having removed nothing."""

# Rings shared between processes.

@type_check_only
class _SharedEnds(_Closable):
    """Names, descriptors and roles both shared rings have (``SharedRingByte``, ``SharedRing``)."""

    def fileno(self) -> int:
        """The ring's file descriptor (owned by the object: do not close it)."""
    @property
    def name(self) -> str | None:
        """The name given at creation or to ``open``; ``None`` for an anonymous ring."""
    def unlink(self) -> None:
        """Removes the name (``FileNotFoundError`` if already gone); attached objects keep
        working. Named rings stay until someone unlinks them."""
    @property
    def role(self) -> str | None:
        """Which ends this object holds: ``None``, ``"producer"``, ``"consumer"`` or ``"both"``."""
    def as_producer(self) -> Self:
        """Claims the producer end now (``PermissionError`` while another process holds it);
        this object then refuses to read (``io.UnsupportedOperation``)."""
    def as_consumer(self) -> Self:
        """Claims the consumer end now; this object then refuses to write."""
    def is_abandoned(self) -> bool:
        """Whether the other end was held by a process that is gone (closed, exited, killed)."""

@final
class SharedRingByte(_SharedEnds):
    """A byte ring shared between two processes: one producer, one consumer, the queued bytes
    one contiguous memoryview in each. Travels to ``multiprocessing`` children (its file
    descriptor is passed by multiprocessing's pickler; plain ``pickle`` refuses it) or, when
    created with ``name=``, is opened by name. ``write``, ``read``, ``readinto`` and the waits
    block (``timeout`` in seconds, ``None``: forever, then ``TimeoutError``); the other calls
    never wait."""

    def __init__(self, capacity: SupportsIndex, name: str | None = None) -> None: ...
    @classmethod
    def open(cls, name: str) -> Self:
        """Attaches to the named ring (``FileNotFoundError`` if there is none; ``ValueError``
        for a file that is not a ring)."""
    @classmethod
    def from_fd(cls, fd: SupportsIndex) -> Self:
        """Attaches to the ring behind a file descriptor (duplicated: the caller keeps ``fd``)."""
    def len(self) -> int:
        """Queued bytes as the end this object holds sees them (0 while it holds none)."""
    def capacity(self) -> int:
        """Capacity in bytes, rounded up to whole pages."""
    def free_len(self) -> int: ...
    def push(self, value: SupportsIndex) -> bool:
        """Appends one byte; ``False`` when full."""
    def pop(self) -> int | None:
        """Removes the oldest byte; ``None`` when empty."""
    def push_bytes(self, data: Buffer) -> bool:
        """Appends all of ``data`` (``True``) or nothing when it does not fit (``False``)."""
    def pop_bytes(self, n: SupportsIndex) -> bytes:
        """Removes and returns up to ``n`` bytes (``b""`` when empty)."""
    def write(self, data: Buffer, timeout: float | None = None) -> int:
        """Writes all of ``data``, waiting for room; returns ``len(data)``. Data no longer than
        the capacity is published at once (a reader sees all of it or none, even if this
        process dies); longer data goes in pieces. ``BrokenPipeError`` when it has to wait for
        room and the reader is gone; ``TimeoutError`` when time runs out
        (``characters_written`` tells how much went)."""
    def read(self, n: SupportsIndex, timeout: float | None = None) -> bytes:
        """Waits for at least one byte, then removes and returns up to ``n``; ``b""`` once the
        writer is gone and everything was read (or for ``n == 0``)."""
    def readinto(self, buffer: Buffer, timeout: float | None = None) -> int:
        """``read`` into a writable buffer; returns the count (``0`` at the end of the stream)."""
    def wait_readable(self, n: SupportsIndex = 1, timeout: float | None = None) -> int:
        """Waits until ``n`` bytes are queued and returns ``len()``; fewer once the writer is gone."""
    def wait_writable(self, n: SupportsIndex = 1, timeout: float | None = None) -> int:
        """Waits until ``n`` bytes are free and returns ``free_len()``."""
    def get_readable_view(self) -> memoryview:
        """Every queued byte as one read-only memoryview, O(1), wrapped or not."""
    def advance_tail(self, n: SupportsIndex) -> None:
        """Drops ``n`` queued bytes (``ValueError`` if fewer are queued)."""
    def consume(self, n: SupportsIndex) -> None: ...
    def get_writable_view(self, n: SupportsIndex | None = None) -> memoryview:
        """A writable view of up to ``n`` free bytes: an exclusive lease, published by ``commit``."""
    def commit(self, n: SupportsIndex) -> None:
        """Publishes ``n`` bytes written into the last writable view once it is released."""
    def advance_head(self, n: SupportsIndex) -> None:
        """Upstream 0.6 name of ``commit``."""

@final
class SharedRing(_SharedEnds, _Frames):
    """``PicoRing``'s typed frames in a ring shared between two processes: a producer pushes
    frames (numpy arrays, ``array.array``), the consumer reads the queued frames as one
    ``(frames, channels)`` view without a copy. Roles, names, pickling and blocking as
    ``SharedRingByte``; ``len()`` and ``capacity()`` count frames."""

    def __init__(
        self,
        typecode: str,
        frames: SupportsIndex,
        channels: SupportsIndex = 1,
        name: str | None = None,
    ) -> None: ...
    @classmethod
    def open(cls, name: str, typecode: str, channels: SupportsIndex = 1) -> Self:
        """Attaches to the named ring; ``ValueError`` when its frames are not ``channels``
        items of ``typecode`` (the file records only the frame size)."""
    @classmethod
    def from_fd(cls, fd: SupportsIndex, typecode: str, channels: SupportsIndex = 1) -> Self: ...
    def len(self) -> int:
        """Queued frames as the end this object holds sees them (0 while it holds none)."""
    def capacity(self) -> int:
        """Capacity in frames: at least the number asked (whole pages of whole frames)."""
    def push(self, data: Buffer, timeout: float | None = None) -> int:
        """Appends every frame of ``data`` (shape ``(n, channels)`` or ``(n * channels,)``),
        waiting up to ``timeout`` seconds for room for all of them, and returns ``n``: a reader
        sees all of them or none, even if this process dies."""
    def pop(self, n: SupportsIndex | None = None, timeout: float | None = None) -> Any:
        """Removes the oldest ``n`` frames (all queued ones when ``None``, without waiting) into
        a new numpy array; fewer (possibly none) once the producer is gone."""
    def wait_readable(self, n: SupportsIndex = 1, timeout: float | None = None) -> int:
        """Waits until ``n`` frames are queued and returns how many are; fewer once the
        producer is gone."""

@final
class Broadcast:
    """One sender, any number of readers (``subscribe()``), each reading every record in order.
    ``Broadcast(capacity, *, lossy=True)``: records are bytes-like objects sent whole, in a ring
    of at least ``capacity`` bytes. ``Broadcast(typecode, frames, channels=1, lossy=True)``:
    records are whole typed frames (``channels`` items of ``typecode`` each, at most ``frames``
    per record), which readers' ``recv()`` returns as ``(frames, channels)`` memoryviews
    (``(frames,)`` for one channel). Lossy (the default): ``send`` overwrites the oldest records
    and a reader behind them gets ``Lagged``; lossless: ``send`` waits for the slowest reader.
    ``close()`` (or ``with``) drops the sending end: readers then get ``EOFError`` once they have
    read everything."""

    @overload
    def __init__(
        self,
        source: SupportsIndex,
        /,
        frames: None = None,
        channels: Literal[1] = 1,
        *,
        lossy: bool = True,
    ) -> None:
        """``source``: the capacity in bytes."""
    @overload
    def __init__(
        self,
        source: str,
        /,
        frames: SupportsIndex,
        channels: SupportsIndex = 1,
        lossy: bool = True,
    ) -> None:
        """``source``: the typecode."""
    def capacity(self) -> int:
        """Byte records: the ring's size in bytes (rounded up to pages; a record takes 16 bytes
        plus its length rounded up to 8). Typed: the most frames one record may hold."""
    def max_record_len(self) -> int:
        """The longest record ``send`` accepts, in bytes."""
    @property
    def typecode(self) -> str:
        """``'B'`` for byte records."""
    @property
    def itemsize(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def lossy(self) -> bool: ...
    def receiver_count(self) -> int:
        """How many readers are alive."""
    def subscribe(self) -> BroadcastReader:
        """A new reader that receives every record sent from now on."""
    def send(self, data: Buffer, timeout: float | None = None) -> None:
        """Sends ``data`` as one record (typed: every frame of a buffer of the typecode's
        format, shape ``(n, channels)`` or ``(n * channels,)``; ``ValueError`` for a partial
        frame or more than ``capacity()`` frames), waiting up to ``timeout`` seconds (``None``:
        forever; ``0``: not at all) for room, then ``TimeoutError``. Lossy, it waits only for a
        reader still holding the record it is about to overwrite."""
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

@final
class BroadcastReader:
    """A reader of a ``Broadcast``, from its ``subscribe()``."""

    def recv(self, timeout: float | None = None) -> memoryview:
        """The next record as a read-only view of the ring (bytes, or typed frames of shape
        ``(frames, channels)`` from a typed ``Broadcast``), valid until this reader's next
        ``recv``/``recv_bytes``/``release`` (which raise ``BufferError`` while it is alive).
        ``TimeoutError`` after ``timeout`` seconds, ``Lagged`` when records were missed,
        ``EOFError`` once the ``Broadcast`` is closed and everything was read."""
    def recv_bytes(self, timeout: float | None = None) -> bytes:
        """As ``recv``, returning a copy (the record is released at once)."""
    def recv_array(self, timeout: float | None = None) -> Any:
        """As ``recv``, returning a copy of the record (released at once) as a new numpy
        array of the same shape (a memoryview without numpy), as ``PicoRing.pop`` does."""
    def release(self) -> bool:
        """Releases the record the last ``recv`` returned (a lossy sender may wait for it);
        ``False`` when none was held."""
    @property
    def lag(self) -> int:
        """How many records this reader missed in all (the sum of its ``Lagged.missed``)."""
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

class Lagged(RuntimeError):
    """Raised by ``BroadcastReader.recv`` when the lossy sender overwrote ``missed`` records
    before the reader got to them; the next ``recv`` returns the oldest record left."""

    missed: int
