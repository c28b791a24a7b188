"""Audio frames between two threads: float32 stereo frames through a typed PicoRing.

A producer thread synthesises 48 kHz stereo audio in 256-frame blocks and pushes them (a
blocking push: it waits while the ring is full); the consumer reads 10 ms blocks (480 frames)
as a (frames, 2) numpy array straight over get_readable_view(), with no copy even when a
block straddles the ring's end, and measures each block's RMS level.

    python examples/audio_frames.py [--quick]
"""

from __future__ import annotations

import sys
import threading
import time

import picoring

try:
    import numpy as np
except ImportError:  # the example needs numpy; say so instead of failing `make test`
    print("audio_frames.py: skipped (numpy is not installed)")
    sys.exit(0)

RATE, CHANNELS, PRODUCE, CONSUME = 48_000, 2, 256, 480


def producer(ring, frames: int) -> None:
    t = np.arange(PRODUCE, dtype=np.float32)
    for start in range(0, frames, PRODUCE):
        n = min(PRODUCE, frames - start)
        left = 0.5 * np.sin(2 * np.pi * 440 * (start + t[:n]) / RATE, dtype=np.float32)
        ring.push(np.column_stack((left, 0.25 * left)).astype(np.float32), timeout=5.0)


def main() -> None:
    seconds_of_audio = 2 if "--quick" in sys.argv else 120
    frames = RATE * seconds_of_audio
    ring = picoring.PicoRing("f", frames=8192, channels=CHANNELS)
    thread = threading.Thread(target=producer, args=(ring, frames), daemon=True)
    start = time.perf_counter()
    thread.start()
    done = blocks = 0
    peak_rms = np.zeros(CHANNELS)
    while done < frames:
        want = min(CONSUME, frames - done)
        if len(ring) < want:
            time.sleep(0.0002)  # the producer is behind
            continue
        with ring.get_readable_view() as view:
            block = np.asarray(view)[:want]  # (want, 2) float32, no copy
            peak_rms = np.maximum(peak_rms, np.sqrt(np.mean(block * block, axis=0)))
            del block  # the numpy array holds the export: drop it before the view closes
        ring.consume(want)
        done += want
        blocks += 1
    thread.join()
    secs = time.perf_counter() - start
    if not np.allclose(peak_rms, [0.5 / np.sqrt(2), 0.125 / np.sqrt(2)], atol=0.01):
        raise SystemExit(f"unexpected levels {peak_rms}")
    print(
        f"audio_frames.py: {seconds_of_audio} s of 48 kHz stereo float32 ({blocks} blocks of 10 ms) "
        f"between two threads in {secs:.3f} s ({seconds_of_audio / secs:.0f}x real time); "
        f"RMS L {peak_rms[0]:.3f}, R {peak_rms[1]:.3f}"
    )


if __name__ == "__main__":
    main()
