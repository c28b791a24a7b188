//! The loops of the overwrite benchmarks: a "last N samples" ring whose writer is faster than
//! its reader, so most writes drop the oldest data. Each function runs `n` writes on the
//! calling thread, reading after every fourth, and returns the wall time.
//!
//! ringbuf overwrites only through the whole ring (`RingBuffer::push_overwrite` takes
//! `&mut` of the ring, so no consumer can run on another thread meanwhile), so both sides run
//! on one thread here; picoring's ends would also work from two threads.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer as _, RingBuffer as _};

/// Capacity of the rings, in bytes: 64 KiB.
pub const RING: usize = 64 * 1024;

/// Samples per block in the block variants.
pub const BLOCK: usize = 256;

/// `n` single `u64` writes through picoring's overwriting ring, a `pop` after every fourth.
pub fn items_picoring(n: u64) -> Duration {
    let (mut tx, mut rx) =
        picoring::spsc::overwrite::channel::<u64>(RING / 8).expect("a 64 KiB ring");
    let start = Instant::now();
    for i in 0..n {
        let _ = black_box(tx.push_overwrite(i));
        if i % 4 == 0 {
            black_box(rx.pop());
        }
    }
    black_box(rx.take_lost());
    start.elapsed()
}

/// `n` single `u64` writes through ringbuf's `push_overwrite` (the thread-safe `HeapRb`), a
/// `try_pop` after every fourth.
pub fn items_ringbuf(n: u64) -> Duration {
    let mut rb = ringbuf::HeapRb::<u64>::new(RING / 8);
    let start = Instant::now();
    for i in 0..n {
        black_box(rb.push_overwrite(i));
        if i % 4 == 0 {
            black_box(rb.try_pop());
        }
    }
    start.elapsed()
}

/// `n` blocks of [`BLOCK`] `u64`s written with `push_slice_overwrite`, a block read with
/// `pop_slice` after every fourth.
pub fn blocks_picoring(n: u64) -> Duration {
    let (mut tx, mut rx) =
        picoring::spsc::overwrite::channel::<u64>(RING / 8).expect("a 64 KiB ring");
    let block = [7u64; BLOCK];
    let mut out = [0u64; BLOCK];
    let start = Instant::now();
    for i in 0..n {
        black_box(tx.push_slice_overwrite(black_box(&block)));
        if i % 4 == 0 {
            black_box(rx.pop_slice(&mut out));
        }
    }
    black_box(rx.take_lost());
    start.elapsed()
}

/// As [`blocks_picoring`], through ringbuf's `push_slice_overwrite` and `pop_slice`.
pub fn blocks_ringbuf(n: u64) -> Duration {
    let mut rb = ringbuf::HeapRb::<u64>::new(RING / 8);
    let block = [7u64; BLOCK];
    let mut out = [0u64; BLOCK];
    let start = Instant::now();
    for i in 0..n {
        rb.push_slice_overwrite(black_box(&block));
        if i % 4 == 0 {
            black_box(rb.pop_slice(&mut out));
        }
    }
    start.elapsed()
}
