"""Pickling of shared rings for ``multiprocessing``: the ring's file descriptor travels by
multiprocessing's own fd passing, as sockets and connections do.

``multiprocessing.reduction.DupFd`` hands the descriptor to a child being started (spawn,
forkserver) or, for an object sent later (through a ``Queue`` or a ``Pipe``), to whichever
process unpickles it, through ``multiprocessing.resource_sharer``. Only multiprocessing's
pickler knows how: plain ``pickle.dumps`` refuses a shared ring with ``TypeError``, as it
refuses a socket, since its bytes could not carry a descriptor to another process.

The classes register themselves (``register``) when their first object is made, so importing
``picoring`` does not import ``multiprocessing``.
"""

from __future__ import annotations

import os
from multiprocessing import reduction
from typing import Any, Protocol, TypeVar


class _FdRing(Protocol):
    def fileno(self) -> int: ...


_Ring = TypeVar("_Ring", bound=_FdRing)


class _DupFd(Protocol):
    def detach(self) -> int: ...


def _rebuild(cls: Any, dup: _DupFd, *args: Any) -> Any:
    fd = dup.detach()
    try:
        return cls.from_fd(fd, *args)  # attaches to a duplicate of the descriptor
    finally:
        os.close(fd)


def _reduce(ring: _FdRing) -> tuple[Any, tuple[Any, ...]]:
    # A typed ring also names its typecode and channels, which the file does not record.
    attach_args = getattr(ring, "_attach_args", None)
    args = tuple(attach_args()) if attach_args is not None else ()
    return _rebuild, (type(ring), reduction.DupFd(ring.fileno()), *args)


def register(cls: type[_Ring]) -> None:
    """Teaches multiprocessing's pickler to send objects of ``cls`` (idempotent)."""
    reduction.register(cls, _reduce)
