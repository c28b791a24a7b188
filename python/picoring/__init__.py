"""Zero-copy circular buffers on mirrored virtual memory.

Every class is safe to share between threads, exports the buffer protocol (``bytes(obj)``,
``memoryview(obj)`` and ``numpy.frombuffer(obj, ...)`` are zero-copy) and refuses, with
``BufferError``, any call that would overwrite, free or move bytes a live view exports.
"""

from ._picoring import PicoRingByte

__all__ = ["PicoRingByte"]
