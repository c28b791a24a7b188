"""No Python code runs while an object's lock is held: a garbage collection started by any
allocation inside a call may run finalizers and ``gc.callbacks`` that use the same object, and
those must neither deadlock nor fail.

Each case runs in a subprocess with a deadline (faulthandler), so a regression fails with a
traceback instead of hanging the test run. In the subprocess, ``gc.set_threshold(1)`` makes
nearly every allocation of a tracked object collect (the thresholds vary from 1 to 3), a ``gc.callbacks`` entry and a finalizer
in a reference cycle call methods of the object under test, and the call under test runs many
times.
"""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import array, faulthandler, gc, sys
    faulthandler.dump_traceback_later({deadline}, exit=True)
    import picoring

    def setup():
        {setup}

    def call(obj):
        {call}

    def reenter(obj):
        {reenter}

    KEEP = []
    KEPT = type("Kept", (list,), {{"__iter__": lambda self: (KEEP.append(it := list.__iter__(self)), it)[1]}})(
        [1.5, 2.5, 3.5] * 20
    )
    obj = setup()
    reentered = []
    errors = []
    armed = False

    def use_again(*_):
        if armed:
            try:
                reenter(obj)
                reentered.append(1)
            except Exception as exc:  # recorded, checked below
                errors.append(repr(exc))

    class Finalizer:
        def __init__(self):
            self.cycle = self  # only the cyclic collector frees it

        def __del__(self):
            use_again()

    gc.callbacks.append(use_again)
    junk = []
    armed = True
    for i in range(600):
        # Vary where the collections fall: the threshold, and how many tracked allocations
        # that survive come before the call (allocations inside it that are freed again before
        # its own allocations would otherwise always reset the count at the same point).
        gc.set_threshold(1 + i % 3)
        Finalizer()
        for _ in range(i % 5):
            junk.append([])
        call(obj)
    gc.set_threshold(700)
    armed = False
    gc.callbacks.remove(use_again)
    assert not errors, errors[:3]
    print("reentered", len(reentered))
    """
)

RING = "r = picoring.PicoRingByte(4096); r.push_bytes(b'abc' * 100); return r"
QUEUE = "q = picoring.PicoQueueByte(4096); q.push_bulk(b'abc' * 100); return q"
STREAM = "s = picoring.PicoByteStreamPy(4096); s.write(b'ab\\\\ncd\\\\n' * 50); return s"
LIST = "return picoring.PicoListByte(b'abcdef' * 20)"
TYPED = "return picoring.PicoList('d', [1.5, 2.5, 3.5] * 20)"
FRAMES = "r = picoring.PicoRing('f', 64, 2); r.push(array.array('f', [1.0] * 64)); return r"

# (setup, call under test, what the collector's callbacks call on the same object)
CASES = {
    "ring.pop_bytes": (RING, "obj.push_bytes(b'xy'); obj.pop_bytes(2)", "len(obj); repr(obj); bytes(obj)"),
    "ring.views": (
        RING,
        "obj.get_writable_view(2).release(); obj.commit(0); memoryview(obj).release(); "
        "obj.get_readable_view().release()",
        "len(obj); obj.free_len()",
    ),
    "ring.readinto": (RING, "obj.push_bytes(b'xy'); obj.readinto(bytearray(2))", "len(obj); bytes(obj)"),
    "queue.pop_bulk": (QUEUE, "obj.push_bulk(b'xy'); obj.pop_bulk(2); obj.get_view().release()", "len(obj); bytes(obj)"),
    "stream.read": (
        STREAM,
        "obj.write(b'x\\\\ny\\\\n'); obj.read(1); obj.next_line(); obj.read_until(10); obj.peek().release()",
        "obj.available_to_read(); bytes(obj)",
    ),
    "list_byte.items": (
        LIST,
        "obj.append(1); obj[0]; obj[1:5]; obj[::2]; obj.get(0); obj.pop(); list(obj); 97 in obj; b'bc' in obj",
        "len(obj); repr(obj); obj[:3]",
    ),
    # The bytes methods that build bytearrays, tuples and lists with the list's bytes.
    "list_byte.methods": (
        LIST,
        "obj.split(); obj.rsplit(b'c', 3); obj.partition(b'cd'); obj.rpartition(b'x'); "
        "obj.replace(b'a', b'xy'); obj.removeprefix(b'ab'); obj.center(150, b'*'); obj.zfill(130); "
        "obj.translate(None, b'a'); obj.hex(); obj.decode('latin-1'); obj.upper(); obj.strip(b'a'); "
        "obj.splitlines()",
        "len(obj); obj.split(b'c'); obj.partition(b'a'); obj.translate(None)",
    ),
    "list_byte.repr_eq": (LIST, "repr(obj); obj == b'abc'; bytes(obj); memoryview(obj).release()", "repr(obj); obj[0]"),
    "typed.tolist": (TYPED, "obj.tolist()", "obj.tolist(); len(obj)"),
    "typed.repr": (TYPED, "repr(obj)", "repr(obj); obj[0]"),
    # A list subclass whose iterators stay alive: freeing one would lower the collector's count
    # and move the collection away from the comparison's own allocation.
    "typed.eq": (TYPED, "obj == KEPT; obj == obj; obj == (1.5,)", "obj.tolist(); obj == obj"),
    "typed.items": (
        TYPED,
        "obj.append(4.5); obj[0]; obj[1:4]; obj[::3]; obj.get(1); obj.pop(); list(obj); "
        "memoryview(obj).release(); obj.typecode; 2.5 in obj",
        "obj.tolist(); repr(obj)",
    ),
    "frames.pop": (
        FRAMES,
        "obj.push(array.array('f', [2.0] * 4)); obj.pop(2, timeout=0); obj.pop(0); obj.pop(); "
        "obj.push(array.array('f', [3.0] * 64)); obj.get_readable_view().release(); obj.typecode; repr(obj)",
        "len(obj); repr(obj); obj.get_readable_view().release()",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_collector_callbacks_may_use_the_object_being_called(case):
    setup, call, reenter = CASES[case]
    script = SCRIPT.format(deadline=30, setup=setup, call=call, reenter=reenter)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    reentered = int(done.stdout.split()[-1])
    assert reentered > 0  # the collector did run the callbacks during the calls
