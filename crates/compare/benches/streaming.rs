//! Byte streaming through a 64 KiB ring: push one chunk, pop one chunk, with half the ring
//! queued so writes and reads keep crossing the physical end. Every peer copies in and out
//! once (the same two memcpys); this shows the cost of each ring's bookkeeping around them.

mod common;

use std::hint::black_box;

use common::{config, for_each_fifo, Group};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use picoring_compare::fifo::ByteFifo;
use picoring_compare::RING_BYTES;

fn stream<F: ByteFifo>(group: &mut Group<'_>, chunk: usize) {
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
        for_each_fifo!(stream(&mut group, chunk));
        group.finish();
    }
}

criterion_group! { name = benches; config = config(); targets = streaming }
criterion_main!(benches);
