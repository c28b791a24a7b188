"""`tolist()` and `repr()` of a list are snapshots taken at one moment, even though the numbers
are created after the list's lock is released (chunk by chunk), while other threads rewrite,
grow and shrink the list."""

import array
import threading

import picoring

N = 50_000  # many chunks of items


def test_tolist_is_a_snapshot_while_other_threads_write():
    lst = picoring.PicoList("d", array.array("d", [0.0]) * N)
    generations = [array.array("d", [float(g)]) * N for g in range(4)]
    stop = threading.Event()
    errors = []

    def rewrite():
        g = 0
        while not stop.is_set():
            lst[:N] = generations[g % 4]  # every item at once, under one lock
            g += 1

    def grow_and_shrink():
        while not stop.is_set():
            lst.append(-1.0)
            lst.pop()

    def big_extends():
        other = picoring.PicoList("d")
        block = array.array("d", [2.0]) * 20_000  # long enough to release the GIL
        while not stop.is_set():
            other.extend(block)
            other.tolist()
            other.clear()

    def guarded(work):
        def run():
            try:
                work()
            except Exception as exc:  # reported below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(f)) for f in (rewrite, grow_and_shrink, big_extends)]
    for t in threads:
        t.start()
    try:
        for _ in range(150):
            items = lst.tolist()
            body, tail = items[:N], items[N:]
            assert len(set(body)) == 1, sorted(set(body))[:5]  # one generation throughout
            assert tail in ([], [-1.0]), tail
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
