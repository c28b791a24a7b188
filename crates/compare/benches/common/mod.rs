//! What the criterion benchmarks share: the short criterion settings, the benchmark-group type,
//! and the list of byte-FIFO peers. Each includes it with `mod common;` and uses a part of it
//! (criterion is a dev-dependency, so this cannot live in the library part of the crate).
#![allow(dead_code, unused_macros, unused_imports)]

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

/// A benchmark group timed by the wall clock.
pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Short runs so `make bench` stays a few minutes on two cores.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20)
}

/// Benchmarks with threads, whose every sample spawns one: fewer, longer samples.
pub fn threads_config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// `for_each_fifo!(bench(args))` calls `bench::<F>(args)` for every byte-FIFO peer of
/// `picoring_compare::fifo`, picoring first, in the order the result tables show them.
macro_rules! for_each_fifo {
    ($bench:ident($($arg:expr),* $(,)?)) => {{
        use picoring_compare::fifo::{Bytes, Deque, Pico, RingBuf, Rtrb, SliceRing, Upstream};
        $bench::<Pico>($($arg),*);
        $bench::<Upstream>($($arg),*);
        $bench::<Deque>($($arg),*);
        $bench::<SliceRing>($($arg),*);
        $bench::<RingBuf>($($arg),*);
        $bench::<Rtrb>($($arg),*);
        $bench::<Bytes>($($arg),*);
    }};
}

pub(crate) use for_each_fifo;
