//! Threads: picoring's split rings against rtrb, ringbuf and crossbeam-channel, two or more
//! threads per measurement. Compare within one run: the figures are ratios, not absolutes.
//!
//! - `spsc_4k_chunks`: 4 KiB chunks through a 64 KiB ring, each side copying a chunk in or out
//!   through the crate's chunk API.
//! - `spsc_256b_chunks`: the same with 256-byte chunks, where the cost of synchronizing the
//!   indices weighs more than the copy.
//! - `spsc_u64`: single `u64` items pushed and popped one at a time.
//! - `mpsc_100b`: 4 producers of 100-byte records against crossbeam-channel with `Vec<u8>`.
//! - `mpsc_producers`: picoring's record ring with 2 and with 8 producers (records/s).

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ringbuf::traits::{Consumer as _, Observer as _, Producer as _, Split as _};

const RING: usize = 64 * 1024;

/// Spin briefly, then yield: the waiting policy every peer gets in these loops.
struct Backoff(u32);

impl Backoff {
    fn snooze(&mut self) {
        if self.0 < 32 {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
        self.0 += 1;
    }
}

/// Runs `produce(chunks)` on a new thread and `consume(chunks)` here, timing both.
fn two_threads<P, C>(produce: P, consume: C) -> Duration
where
    P: FnOnce() + Send + 'static,
    C: FnOnce(),
{
    let start = Instant::now();
    let producer = thread::spawn(produce);
    consume();
    producer.join().unwrap();
    start.elapsed()
}

/// `chunk`-byte chunks through a 64 KiB ring: each side copies a chunk in or out through the
/// crate's chunk API (picoring's `writable_at_least`/`readable_at_least`, rtrb's
/// `write_chunk`/`read_chunk`, ringbuf's `push_slice`/`pop_slice` after a length check).
fn spsc_chunks(c: &mut Criterion, name: &str, chunk: usize) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(chunk as u64));
    let source = vec![7u8; chunk];

    group.bench_function("picoring", |b| {
        b.iter_custom(|chunks| {
            let (mut tx, mut rx) = picoring::spsc::channel::<u8>(RING).unwrap();
            let src = source.clone();
            let mut sink = vec![0u8; chunk];
            two_threads(
                move || {
                    for _ in 0..chunks {
                        let mut backoff = Backoff(0);
                        loop {
                            if let Some(free) = tx.writable_at_least(chunk) {
                                free[..chunk].copy_from_slice(&src);
                                break;
                            }
                            backoff.snooze();
                        }
                        tx.commit(chunk);
                    }
                },
                || {
                    for _ in 0..chunks {
                        let mut backoff = Backoff(0);
                        loop {
                            if let Some(queued) = rx.readable_at_least(chunk) {
                                sink.copy_from_slice(&queued[..chunk]);
                                break;
                            }
                            backoff.snooze();
                        }
                        rx.consume(chunk);
                        black_box(&sink);
                    }
                },
            )
        })
    });

    group.bench_function("rtrb", |b| {
        b.iter_custom(|chunks| {
            let (mut tx, mut rx) = rtrb::RingBuffer::<u8>::new(RING);
            let src = source.clone();
            let mut sink = vec![0u8; chunk];
            two_threads(
                move || {
                    for _ in 0..chunks {
                        let mut backoff = Backoff(0);
                        let mut slots = loop {
                            match tx.write_chunk(chunk) {
                                Ok(slots) => break slots,
                                Err(_) => backoff.snooze(),
                            }
                        };
                        let (first, second) = slots.as_mut_slices();
                        let split = first.len();
                        first.copy_from_slice(&src[..split]);
                        second.copy_from_slice(&src[split..]);
                        slots.commit_all();
                    }
                },
                || {
                    for _ in 0..chunks {
                        let mut backoff = Backoff(0);
                        let slots = loop {
                            match rx.read_chunk(chunk) {
                                Ok(slots) => break slots,
                                Err(_) => backoff.snooze(),
                            }
                        };
                        let (first, second) = slots.as_slices();
                        sink[..first.len()].copy_from_slice(first);
                        sink[first.len()..].copy_from_slice(second);
                        slots.commit_all();
                        black_box(&sink);
                    }
                },
            )
        })
    });

    group.bench_function("ringbuf", |b| {
        b.iter_custom(|chunks| {
            let (mut tx, mut rx) = ringbuf::HeapRb::<u8>::new(RING).split();
            let src = source.clone();
            let mut sink = vec![0u8; chunk];
            two_threads(
                move || {
                    for _ in 0..chunks {
                        let mut backoff = Backoff(0);
                        while tx.vacant_len() < chunk {
                            backoff.snooze();
                        }
                        tx.push_slice(&src);
                    }
                },
                || {
                    for _ in 0..chunks {
                        let mut backoff = Backoff(0);
                        while rx.occupied_len() < chunk {
                            backoff.snooze();
                        }
                        rx.pop_slice(&mut sink);
                        black_box(&sink);
                    }
                },
            )
        })
    });
    group.finish();
}

fn spsc_4k_chunks(c: &mut Criterion) {
    spsc_chunks(c, "spsc_4k_chunks", 4096);
}

fn spsc_256b_chunks(c: &mut Criterion) {
    spsc_chunks(c, "spsc_256b_chunks", 256);
}

/// Moves `items` `u64`s one at a time: `push` on a new thread (false while full), `pop` here
/// (None while empty), each side backing off while it cannot proceed.
fn one_at_a_time(
    items: u64,
    mut push: impl FnMut(u64) -> bool + Send + 'static,
    mut pop: impl FnMut() -> Option<u64>,
) -> Duration {
    two_threads(
        move || {
            for i in 0..items {
                let mut backoff = Backoff(0);
                while !push(i) {
                    backoff.snooze();
                }
            }
        },
        || {
            for _ in 0..items {
                let mut backoff = Backoff(0);
                loop {
                    if let Some(v) = pop() {
                        black_box(v);
                        break;
                    }
                    backoff.snooze();
                }
            }
        },
    )
}

fn spsc_items(c: &mut Criterion) {
    let mut group = c.benchmark_group("spsc_u64");
    group.throughput(Throughput::Elements(1));
    group.bench_function("picoring", |b| {
        b.iter_custom(|items| {
            let (mut tx, mut rx) = picoring::spsc::channel::<u64>(RING / 8).unwrap();
            one_at_a_time(items, move |i| tx.push(i).is_ok(), || rx.pop())
        })
    });
    group.bench_function("rtrb", |b| {
        b.iter_custom(|items| {
            let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(RING / 8);
            one_at_a_time(items, move |i| tx.push(i).is_ok(), || rx.pop().ok())
        })
    });
    group.finish();
}

const RECORD: usize = 100;

/// picoring's record ring: `producers` threads share `records` 100-byte records.
fn picoring_records(producers: u64, records: u64) -> Duration {
    let (tx, mut rx) = picoring::mpsc::channel(1 << 17).unwrap();
    let start = Instant::now();
    let workers: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            let mine = records / producers + u64::from(p < records % producers);
            thread::spawn(move || {
                let record = [p as u8; RECORD];
                for _ in 0..mine {
                    tx.send(&record).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    while let Ok(record) = rx.recv() {
        black_box(record[0]);
    }
    for w in workers {
        w.join().unwrap();
    }
    start.elapsed()
}

/// crossbeam-channel, bounded to about as many messages as the record ring holds.
fn crossbeam_records(producers: u64, records: u64) -> Duration {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(1024);
    let start = Instant::now();
    let workers: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            let mine = records / producers + u64::from(p < records % producers);
            thread::spawn(move || {
                let record = [p as u8; RECORD];
                for _ in 0..mine {
                    tx.send(record.to_vec()).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    while let Ok(record) = rx.recv() {
        black_box(record[0]);
    }
    for w in workers {
        w.join().unwrap();
    }
    start.elapsed()
}

fn mpsc(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc_100b");
    group.throughput(Throughput::Elements(1));
    group.bench_function("picoring_4p", |b| b.iter_custom(|n| picoring_records(4, n)));
    group.bench_function("crossbeam_4p", |b| {
        b.iter_custom(|n| crossbeam_records(4, n))
    });
    group.finish();

    let mut group = c.benchmark_group("mpsc_producers");
    group.throughput(Throughput::Elements(1));
    for producers in [2u64, 8] {
        group.bench_with_input(
            BenchmarkId::new("picoring", producers),
            &producers,
            |b, &p| b.iter_custom(|n| picoring_records(p, n)),
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = spsc_4k_chunks, spsc_256b_chunks, spsc_items, mpsc
}
criterion_main!(benches);
