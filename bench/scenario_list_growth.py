"""Scenario 2: growing a list to 50 M items, each case in a fresh subprocess (time, peak RSS).

Byte items (0..255) and 64-bit integer items are separate tables: a Python list holds one
8-byte pointer per item whatever the item, so comparing it with one byte per item (as the
upstream README did) measures the item type, not the container. Bulk growth (extend by
1 MiB chunks) and per-item growth (one Python call per item) are separate rows too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from array import array
from typing import Callable

from common import MiB, emit, parse_args, peak_rss_kib, picoring_label, progress, rss_now_kib

# (case, item type, how it grows, builder(items) -> container). Builders import lazily so a
# missing optional package only removes its own rows.
Builder = Callable[[int], object]


_chunks: dict[str, object] = {}


def byte_chunk() -> bytes:
    """The 1 MiB source chunk for bulk byte growth, made once per process (not timed)."""
    return _chunks.setdefault("bytes", bytes(range(256)) * (MiB // 256))


def int_chunk() -> array:
    """The 1 MiB source chunk (131072 int64) for bulk integer growth, made once per process."""
    return _chunks.setdefault("int64", array("q", range(MiB // 8)))


def by_chunks(items: int, chunk_len: int, extend: Callable[[object], None], chunk) -> None:
    full, rest = divmod(items, chunk_len)
    for _ in range(full):
        extend(chunk)
    if rest:
        extend(chunk[:rest])


def append_each(items: int, out, append=None, value=None):
    """Grows `out` one call of `append` (default: its own) per item, then returns it: the
    value is `value` when given (a byte), else the item's index."""
    append = append or out.append
    if value is None:
        for i in range(items):
            append(i)
    else:
        for _ in range(items):
            append(value)
    return out


def pico_bytes_extend(items: int):
    import picoring

    lst = picoring.PicoListByte()
    by_chunks(items, MiB, lst.extend, byte_chunk())
    return lst


def pico_bytes_append(items: int):
    import picoring

    lst = picoring.PicoListByte()
    return append_each(items, lst, getattr(lst, "append", None) or lst.push, 7)  # 0.6: push


def pico_int_extend(items: int):
    import picoring

    lst = picoring.PicoList("q")  # an array.array('q') that grows in place
    by_chunks(items, MiB // 8, lst.extend, int_chunk())
    return lst


def pico_int_append(items: int):
    import picoring

    return append_each(items, picoring.PicoList("q"))


def bytearray_extend(items: int):
    out = bytearray()
    by_chunks(items, MiB, out.extend, byte_chunk())
    return out


def bytearray_append(items: int):
    return append_each(items, bytearray(), value=7)


def array_bytes_extend(items: int):
    out = array("B")
    by_chunks(items, MiB, out.frombytes, byte_chunk())
    return out


def array_bytes_append(items: int):
    return append_each(items, array("B"), value=7)


def list_bytes_extend(items: int):
    out: list = []
    by_chunks(items, MiB, out.extend, byte_chunk())
    return out


def list_bytes_append(items: int):
    return append_each(items, [], value=7)


def numpy_bytes_concat(items: int):
    import numpy as np

    chunks: list = []
    chunk = np.frombuffer(byte_chunk(), np.uint8)
    by_chunks(items, MiB, lambda c: chunks.append(c.copy()), chunk)
    return np.concatenate(chunks)


def array_int_extend(items: int):
    out = array("q")
    by_chunks(items, MiB // 8, out.extend, int_chunk())
    return out


def array_int_append(items: int):
    return append_each(items, array("q"))


def list_int_append(items: int):
    return append_each(items, [])


def numpy_int_concat(items: int):
    import numpy as np

    chunks: list = []
    chunk = np.frombuffer(int_chunk(), np.int64)
    by_chunks(items, MiB // 8, lambda c: chunks.append(c.copy()), chunk)
    return np.concatenate(chunks)


# name -> (table, growth, builder, is picoring). "table" separates item types.
CASES: dict[str, tuple[str, str, Builder, bool]] = {
    "PicoListByte.extend": ("bytes", "bulk", pico_bytes_extend, True),
    "bytearray.extend": ("bytes", "bulk", bytearray_extend, False),
    "array('B').frombytes": ("bytes", "bulk", array_bytes_extend, False),
    "numpy uint8 chunks + concatenate": ("bytes", "bulk", numpy_bytes_concat, False),
    "list.extend (an int object pointer per byte)": ("bytes", "bulk", list_bytes_extend, False),
    "PicoListByte.append": ("bytes", "per item", pico_bytes_append, True),
    "bytearray.append": ("bytes", "per item", bytearray_append, False),
    "array('B').append": ("bytes", "per item", array_bytes_append, False),
    "list.append (an int object pointer per byte)": ("bytes", "per item", list_bytes_append, False),
    "PicoList('q').extend": ("int64", "bulk", pico_int_extend, True),
    "array('q').extend": ("int64", "bulk", array_int_extend, False),
    "numpy int64 chunks + concatenate": ("int64", "bulk", numpy_int_concat, False),
    "PicoList('q').append": ("int64", "per item", pico_int_append, True),
    "array('q').append": ("int64", "per item", array_int_append, False),
    "list.append (an int object per item)": ("int64", "per item", list_int_append, False),
}


def missing_class(name: str) -> str | None:
    """Why a case cannot run in this interpreter, if the reason is an absent optional part:
    a class this picoring version does not have (0.6 has no PicoList), or numpy."""
    if name.startswith("numpy"):
        try:
            import numpy  # noqa: F401
        except ImportError:
            return "numpy is not installed"
    if name.startswith("Pico"):
        import picoring

        cls = name.split("(")[0].split(".")[0]
        if not hasattr(picoring, cls):
            return f"this picoring has no {cls}"
    return None


def run_case(name: str, items: int) -> None:
    """Runs one case in this (fresh) process and prints its measurement as JSON."""
    builder = CASES[name][2]
    # Import what the builder needs and make the source chunks before the baseline, so module
    # memory and inputs are not counted.
    byte_chunk(), int_chunk()
    missing = missing_class(name)
    if missing:
        print(json.dumps({"error": missing}))
        return
    builder(1)  # anything else that fails here is a broken script or API: fail loudly
    base = rss_now_kib()
    start = time.perf_counter()
    container = builder(items)
    seconds = time.perf_counter() - start
    peak = peak_rss_kib()
    size = len(container) if hasattr(container, "__len__") else container.len()
    if size != items:
        raise SystemExit(f"{name}: built {size} items, expected {items}")
    print(json.dumps({"seconds": seconds, "peak_rss_delta_mb": max(peak - base, 0) / 1024}))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    items = args.items or (50_000 if args.quick else 50_000_000)
    if args.case:
        run_case(args.case, items)
        return
    label = picoring_label(args.impl)
    rows, notes = [], []
    for name, (table, growth, _builder, is_pico) in CASES.items():
        if args.impl == "upstream" and not is_pico:
            continue
        progress(f"list growth: {name} to {items:,} items ({label}) ...")
        proc = subprocess.run(
            [sys.executable, __file__, "--case", name, "--items", str(items)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"case {name!r} failed:\n{proc.stderr}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        shown = name if args.impl == "ours" or not is_pico else f"{label}: {name}"
        if "error" in result:
            notes.append(f"{shown}: not available ({result['error']})")
            progress(f"  not available: {result['error']}")
            continue
        rows.append(dict(case=shown, table=table, growth=growth, picoring=is_pico, **result))
        progress(f"  {result['seconds']:.3f} s, peak RSS +{result['peak_rss_delta_mb']:.1f} MB")
    emit("list_growth", args.impl, rows, notes, {"items": items})


if __name__ == "__main__":
    main()
