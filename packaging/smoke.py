"""A quick check that an installed picoring works: the classes of the three seed scenarios
(a wrapped ring read as one view, lists grown in place, bulk queue and stream transfers), each
checked byte for byte. Run from a directory where the source tree's `python/picoring` is not
importable: it fails if `picoring` does not come from the running interpreter's environment.

Usage: python smoke.py [--expect-version VERSION]
"""

from __future__ import annotations

import argparse
import array
import sys
from pathlib import Path

import picoring


def check_installed(expect_version: str | None) -> None:
    """`picoring` comes from this environment (not a source tree), with the expected version."""
    origin = Path(picoring.__file__).resolve()
    prefix = Path(sys.prefix).resolve()
    assert prefix in origin.parents, f"picoring imported from {origin}, not from {prefix}"
    if expect_version is not None:
        assert picoring.__version__ == expect_version, (picoring.__version__, expect_version)


def wrapped_ring() -> None:
    """Scenario 1: data that wraps past the physical end is still one contiguous view."""
    ring = picoring.PicoRingByte(1 << 16)
    cap = ring.capacity()
    assert ring.push_bytes(bytes(cap - 100))
    ring.advance_tail(cap - 100)
    data = bytes(range(256)) * 4  # 1024 bytes, 924 of them past the physical end
    assert ring.push_bytes(data)
    view = ring.get_readable_view()
    assert len(view) == len(data) and view.contiguous and bytes(view) == data
    del view
    assert ring.pop_bytes(len(data)) == data and len(ring) == 0


def list_growth() -> None:
    """Scenario 2: lists that grow in place, byte and typed."""
    items = picoring.PicoListByte()
    for i in range(100_000):
        items.push(i & 0xFF)
    assert len(items) == 100_000 and items.get(99_999) == 99_999 & 0xFF
    typed = picoring.PicoList("q")
    typed.extend(array.array("q", range(1_000_000)))
    assert len(typed) == 1_000_000 and typed[-1] == 999_999
    assert memoryview(typed).cast("B").nbytes == 8_000_000


def bulk_transfers() -> None:
    """Scenario 3: bulk chunks through a queue and a stream, in order."""
    queue = picoring.PicoQueueByte(1 << 20)
    stream = picoring.PicoByteStreamPy(1 << 20)
    chunk = bytes(range(256)) * 1024  # 256 KiB
    for round_ in range(8):
        piece = bytes([round_]) + chunk[1:]
        assert queue.push_bulk(piece)
        assert stream.write(piece) == len(piece)
        assert queue.pop_bulk(len(piece)) == piece
        assert stream.read(len(piece)) == piece
    assert len(queue) == 0 and len(stream) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-version")
    args = parser.parse_args()
    check_installed(args.expect_version)
    wrapped_ring()
    list_growth()
    bulk_transfers()
    print(f"smoke test passed: picoring {picoring.__version__} from {Path(picoring.__file__).parent}")


if __name__ == "__main__":
    main()
