//! Threads: picoring's record ring against crossbeam-channel, two or more threads per
//! measurement. Compare within one run: the figures are ratios, not absolutes. (The SPSC
//! comparison with rtrb and ringbuf is `spsc_paired.rs`, measured in interleaved rounds.)
//!
//! - `mpsc_100b`: 4 producers of 100-byte records against crossbeam-channel with `Vec<u8>`.
//! - `mpsc_producers`: picoring's record ring with 2 and with 8 producers (records/s).

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

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
    targets = mpsc
}
criterion_main!(benches);
