//! Byte streaming through a 64 KiB ring: push one chunk, pop one chunk, with half the ring
//! queued so writes and reads keep crossing the physical end. Every peer copies in and out
//! once (the same two memcpys); this shows the cost of each ring's bookkeeping around them.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use picoring_compare::fifo::{ByteFifo, Bytes, Deque, Pico, RingBuf, Rtrb, SliceRing, Upstream};
use picoring_compare::RING_BYTES;

fn stream<F: ByteFifo>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    chunk: usize,
) {
    let mut fifo = F::with_capacity(RING_BYTES);
    let input: Vec<u8> = (0..chunk).map(|i| i as u8).collect();
    let mut output = vec![0u8; chunk];
    // A backlog of half the ring, plus an odd offset so chunks straddle the wrap point.
    let backlog = vec![0u8; RING_BYTES / 2 + 123];
    assert_eq!(
        fifo.push(&backlog),
        backlog.len(),
        "{} refused the backlog",
        F::NAME
    );
    group.bench_function(F::NAME, |b| {
        b.iter(|| {
            let pushed = fifo.push(black_box(&input));
            let popped = fifo.pop(black_box(&mut output));
            assert_eq!((pushed, popped), (chunk, chunk), "{} lost bytes", F::NAME);
        })
    });
}

fn streaming(c: &mut Criterion) {
    for (label, chunk) in [("4KiB", 4096), ("1500B", 1500)] {
        let mut group = c.benchmark_group(format!("stream_{label}_through_64KiB"));
        group.throughput(Throughput::Bytes(chunk as u64));
        stream::<Pico>(&mut group, chunk);
        stream::<Upstream>(&mut group, chunk);
        stream::<Deque>(&mut group, chunk);
        stream::<SliceRing>(&mut group, chunk);
        stream::<RingBuf>(&mut group, chunk);
        stream::<Rtrb>(&mut group, chunk);
        stream::<Bytes>(&mut group, chunk);
        group.finish();
    }
}

/// Short runs so `make bench` stays a few minutes on two cores.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20)
}

criterion_group! { name = benches; config = config(); targets = streaming }
criterion_main!(benches);
