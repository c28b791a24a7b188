//! `PicoRing` beside the standard library, in one run: read the figures as ratios.
//!
//! - `create_drop`: a mirrored ring against `Vec::with_capacity` (neither touches its memory).
//! - `chunks_4k`: 4 KiB chunks through a 64 KiB byte ring. `picoring/readable+consume` is the
//!   zero-copy path (`push_slice`, then parse in place and `consume`); `picoring/io` and
//!   `vecdeque/io` both copy in with `io::Write` and out with `io::Read`.
//! - `u64_push_pop`: one element in, one out.
//! - `readable_wrapped`: `readable()` on a wrapped 64 MiB ring and on a 4 KiB ring (O(1) both).

use std::collections::VecDeque;
use std::hint::black_box;
use std::io::{Read, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use picoring::PicoRing;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const CHUNK: usize = 4 * KIB;
/// Queued bytes while chunks stream through: half the ring plus an odd offset, so that chunks
/// regularly straddle the physical end.
const BACKLOG: usize = 32 * KIB + 1000;

fn create_drop(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_drop");
    for size in [64 * KIB, MIB, 64 * MIB] {
        let label = format!("{} KiB", size / KIB);
        group.bench_with_input(BenchmarkId::new("picoring", &label), &size, |b, &size| {
            b.iter(|| PicoRing::<u8>::with_capacity(black_box(size)).map(|r| r.capacity()))
        });
        group.bench_with_input(BenchmarkId::new("vec", &label), &size, |b, &size| {
            b.iter(|| Vec::<u8>::with_capacity(black_box(size)))
        });
    }
    group.finish();
}

fn chunks_4k(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunks_4k");
    group.throughput(Throughput::Bytes(CHUNK as u64));
    let chunk: Vec<u8> = (0..CHUNK).map(|i| i as u8).collect();
    let mut out = vec![0u8; CHUNK];

    match PicoRing::<u8>::with_capacity(64 * KIB) {
        Ok(mut ring) => {
            ring.push_slice(&vec![1; BACKLOG]);
            group.bench_function("picoring/readable+consume", |b| {
                b.iter(|| {
                    ring.push_slice(black_box(&chunk));
                    // The consumer parses in place: one look at the chunk, no copy.
                    let view = ring.readable();
                    black_box(&view[..CHUNK]);
                    ring.consume(CHUNK)
                })
            });
            group.bench_function("picoring/io", |b| {
                b.iter(|| {
                    black_box(ring.write(black_box(&chunk)).ok());
                    black_box(ring.read(black_box(&mut out[..])).ok());
                })
            });
        }
        Err(e) => eprintln!("chunks_4k: no ring: {e}"),
    }

    let mut deque: VecDeque<u8> = VecDeque::with_capacity(64 * KIB);
    deque.extend(std::iter::repeat(1).take(BACKLOG));
    group.bench_function("vecdeque/io", |b| {
        b.iter(|| {
            black_box(deque.write(black_box(&chunk)).ok());
            black_box(deque.read(black_box(&mut out[..])).ok());
        })
    });
    group.finish();
}

fn u64_push_pop(c: &mut Criterion) {
    let mut group = c.benchmark_group("u64_push_pop");
    // A small backlog so the positions move and wrap.
    let backlog = 100u64;
    match PicoRing::<u64>::with_capacity(1024) {
        Ok(mut ring) => {
            ring.extend(0..backlog);
            let mut x = 0u64;
            group.bench_function("picoring", |b| {
                b.iter(|| {
                    x += 1;
                    // Never full here (one in, one out); same work as `push_back` below.
                    let _ = ring.push(black_box(x));
                    ring.pop()
                })
            });
        }
        Err(e) => eprintln!("u64_push_pop: no ring: {e}"),
    }
    let mut deque: VecDeque<u64> = VecDeque::with_capacity(1024);
    deque.extend(0..backlog);
    let mut x = 0u64;
    group.bench_function("vecdeque", |b| {
        b.iter(|| {
            x += 1;
            deque.push_back(black_box(x));
            deque.pop_front()
        })
    });
    group.finish();
}

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

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = short();
    targets = create_drop, chunks_4k, u64_push_pop, readable_wrapped
}
criterion_main!(benches);
