//! picoring's own paths that no peer has, each beside the nearest thing it replaces. Peers are
//! measured in `rings`, `streaming`, `threads`, `paired` and `list`; `make bench` keeps these
//! figures out of the peers' ratio table (criterion home `target/criterion-std`).
//!
//! - `readable_wrapped`: `readable()` on a full, wrapped 4 KiB ring and on a 64 MiB one (O(1)
//!   both: the view does not grow with what is queued).
//! - `chunks_4k`: 4 KiB chunks through a 64 KiB byte ring on the zero-copy path (`push_slice`,
//!   parse in place through `readable`, `consume`); the copying path of every peer is
//!   `stream_4KiB_through_64KiB` in `streaming`.
//! - `spsc_async_4k`: the SPSC byte ends through `futures-io` against the same ends through
//!   `std::io`: 4 KiB `write_all`/`read` calls through a 64 KiB ring, one end per thread (the
//!   async ends each under `futures::executor::block_on`).

mod common;

use std::hint::black_box;

use common::threads_config;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use picoring::spsc::{Consumer, Producer};
use picoring::PicoRing;
use picoring_compare::threads::two_threads;
use picoring_compare::RING_BYTES;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const CHUNK: usize = 4 * KIB;

/// A ring of `size` bytes, full, with its data wrapped across the physical end.
fn wrapped_full_ring(size: usize) -> Option<PicoRing<u8>> {
    let mut ring = PicoRing::<u8>::with_capacity(size).ok()?;
    let cap = ring.capacity();
    ring.push_slice(&vec![0; cap / 2 + 3]);
    ring.consume(cap / 2 + 3);
    ring.push_slice(&vec![7; cap]);
    Some(ring)
}

fn readable_wrapped(c: &mut Criterion) {
    let mut group = c.benchmark_group("readable_wrapped");
    for size in [4 * KIB, 64 * MIB] {
        let Some(ring) = wrapped_full_ring(size) else {
            eprintln!("readable_wrapped: no ring of {size} bytes");
            continue;
        };
        let label = format!("{} KiB", size / KIB);
        group.bench_with_input(BenchmarkId::new("picoring", label), &ring, |b, ring| {
            b.iter(|| {
                let view = black_box(ring).readable();
                // First and last byte: the view really spans the wrapped data.
                (view.len(), view[0], view[view.len() - 1])
            })
        });
    }
    group.finish();
}

fn chunks_4k(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunks_4k");
    group.throughput(Throughput::Bytes(CHUNK as u64));
    let chunk: Vec<u8> = (0..CHUNK).map(|i| i as u8).collect();
    let mut ring = PicoRing::<u8>::with_capacity(RING_BYTES).expect("a 64 KiB ring");
    // Half the ring plus an odd offset stays queued, so chunks regularly straddle the end.
    ring.push_slice(&vec![1; RING_BYTES / 2 + 1000]);
    group.bench_function("picoring/readable+consume", |b| {
        b.iter(|| {
            ring.push_slice(black_box(&chunk));
            // The consumer parses in place: one look at the chunk, no copy.
            let view = ring.readable();
            black_box(&view[..CHUNK]);
            ring.consume(CHUNK)
        })
    });
    group.finish();
}

/// `chunks` chunks of `CHUNK` bytes through a fresh SPSC byte ring: `produce` writes them all
/// on a new thread, `consume` reads `total` bytes here; returns the time both took.
fn spsc_run(
    chunks: u64,
    produce: impl FnOnce(Producer<u8>, u64) + Send + 'static,
    consume: impl FnOnce(Consumer<u8>, usize),
) -> std::time::Duration {
    let (tx, rx) = picoring::spsc::channel::<u8>(RING_BYTES).expect("a 64 KiB ring");
    let total = chunks as usize * CHUNK;
    two_threads(move || produce(tx, chunks), || consume(rx, total))
}

fn spsc_async(c: &mut Criterion) {
    use futures::executor::block_on;
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use std::io::{Read, Write};

    let mut group = c.benchmark_group("spsc_async_4k");
    group.throughput(Throughput::Bytes(CHUNK as u64));
    group.bench_function("blocking_io", |b| {
        b.iter_custom(|chunks| {
            spsc_run(
                chunks,
                |mut tx, chunks| {
                    for _ in 0..chunks {
                        Write::write_all(&mut tx, &[7u8; CHUNK]).expect("consumer alive");
                    }
                },
                |mut rx, total| {
                    let (mut sink, mut got) = ([0u8; CHUNK], 0);
                    while got < total {
                        got += Read::read(&mut rx, &mut sink).expect("producer alive");
                        black_box(&sink);
                    }
                },
            )
        })
    });
    group.bench_function("picoring", |b| {
        b.iter_custom(|chunks| {
            spsc_run(
                chunks,
                |mut tx, chunks| {
                    block_on(async {
                        for _ in 0..chunks {
                            let write = AsyncWriteExt::write_all(&mut tx, &[7u8; CHUNK]);
                            write.await.expect("consumer alive");
                        }
                    })
                },
                |mut rx, total| {
                    let (mut sink, mut got) = ([0u8; CHUNK], 0);
                    block_on(async {
                        while got < total {
                            let read = AsyncReadExt::read(&mut rx, &mut sink);
                            got += read.await.expect("producer alive");
                            black_box(&sink);
                        }
                    })
                },
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = views;
    config = common::config();
    targets = readable_wrapped, chunks_4k
}
criterion_group! {
    name = threads;
    config = threads_config();
    targets = spsc_async
}
criterion_main!(views, threads);
