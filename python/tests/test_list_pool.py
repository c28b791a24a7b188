"""Lists made one after another reuse released reservations (the Rust pool): every new list,
slice, concatenation and copy holds exactly its own items, on any thread."""

import array
import threading

from picoring import PicoList


def test_slices_copies_and_sums_hold_their_own_items() -> None:
    source = PicoList("q", range(1000))
    model = array.array("q", range(1000))
    for i in range(300):
        lo, hi = i % 700, i % 700 + (i * 7) % 300
        piece = source[lo:hi]
        assert piece.tolist() == model[lo:hi].tolist()
        doubled = piece + piece
        assert doubled.tolist() == (model[lo:hi] + model[lo:hi]).tolist()
        assert (piece * 3).tolist() == (model[lo:hi] * 3).tolist()
        copied = PicoList("d", [float(i)] * (i % 5))
        assert copied.tolist() == [float(i)] * (i % 5)
        del piece, doubled, copied


def test_lists_dropped_on_other_threads() -> None:
    errors: list[str] = []

    def work(seed: int) -> None:
        for i in range(200):
            items = list(range(seed, seed + i % 50))
            made = PicoList("q", items)
            if made.tolist() != items:
                errors.append(f"thread {seed}: {made.tolist()[:5]}")

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
