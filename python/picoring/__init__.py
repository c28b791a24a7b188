"""Zero-copy circular buffers on mirrored virtual memory.

- ``PicoRingByte``: a byte ring whose queued bytes are always one contiguous memoryview.
- ``PicoQueueByte``: a bulk byte queue (``push_bulk``/``pop_bulk``/``get_view``).
- ``PicoByteStreamPy``: a byte stream read and written like a non-blocking socket.
- ``PicoListByte``: a ``bytearray`` that grows in place and never moves.

Every class is safe to share between threads, exports the buffer protocol (``bytes(obj)``,
``memoryview(obj)`` and ``numpy.frombuffer(obj, ...)`` are zero-copy) and refuses, with
``BufferError``, any call that would overwrite, free or move bytes a live view exports.

Pushing more than fits: ``push``/``push_bytes``/``push_bulk`` return ``False`` and write nothing;
``write`` stores what fits and returns the count. Reading more than is there returns what is
there (``b""`` when empty); ``pop()`` returns ``None`` when empty. Explicit counts beyond what is
there (``advance_tail``, ``advance_head``, ``commit``, ``consume``) raise ``ValueError``.
"""

from ._picoring import PicoByteStreamPy, PicoListByte, PicoQueueByte, PicoRingByte

__all__ = ["PicoByteStreamPy", "PicoListByte", "PicoQueueByte", "PicoRingByte"]

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("picoring")
except PackageNotFoundError:  # imported from a source tree without installing
    __version__ = "unknown"
