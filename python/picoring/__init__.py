"""Zero-copy circular buffers on mirrored virtual memory.

The classes, and what each call does when a buffer is full, empty or exported (the policy
table), are described in the README.
"""

from ._picoring import (
    Broadcast,
    BroadcastReader,
    Lagged,
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
    "Broadcast",
    "BroadcastReader",
    "Lagged",
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
