//! The SPSC byte ends through `futures-io` against the same ends through `std::io`: 4 KiB
//! `write_all`/`read` calls through a 64 KiB ring, one end per thread (the async ends each
//! under `futures::executor::block_on`). Needs the `async` feature:
//! `cargo bench -p picoring --all-features --bench spsc_io`.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const RING: usize = 64 * 1024;

/// Runs `produce` on a new thread and `consume` here; returns the time both took.
fn two_threads(produce: impl FnOnce() + Send + 'static, consume: impl FnOnce()) -> Duration {
    let start = Instant::now();
    let producer = thread::spawn(produce);
    consume();
    producer.join().unwrap();
    start.elapsed()
}

/// picoring's byte ends as `futures-io` (each end on its own thread under
/// `futures::executor::block_on`) and as `std::io`: 4 KiB `write_all`/`read` calls through a
/// 64 KiB ring.
fn spsc_io(c: &mut Criterion) {
    use futures::executor::block_on;
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use std::io::{Read, Write};

    const CHUNK: usize = 4096;
    let mut group = c.benchmark_group("spsc_async_4k");
    group.throughput(Throughput::Bytes(CHUNK as u64));
    group.bench_function("blocking_io", |b| {
        b.iter_custom(|chunks| {
            let (mut tx, mut rx) = picoring::spsc::channel::<u8>(RING).unwrap();
            let total = chunks as usize * CHUNK;
            two_threads(
                move || {
                    let src = [7u8; CHUNK];
                    for _ in 0..chunks {
                        Write::write_all(&mut tx, &src).unwrap();
                    }
                },
                || {
                    let mut sink = [0u8; CHUNK];
                    let mut got = 0;
                    while got < total {
                        got += Read::read(&mut rx, &mut sink).unwrap();
                        black_box(&sink);
                    }
                },
            )
        })
    });
    group.bench_function("picoring", |b| {
        b.iter_custom(|chunks| {
            let (mut tx, mut rx) = picoring::spsc::channel::<u8>(RING).unwrap();
            let total = chunks as usize * CHUNK;
            two_threads(
                move || {
                    let src = [7u8; CHUNK];
                    block_on(async {
                        for _ in 0..chunks {
                            AsyncWriteExt::write_all(&mut tx, &src).await.unwrap();
                        }
                    })
                },
                || {
                    let mut sink = [0u8; CHUNK];
                    let mut got = 0;
                    block_on(async {
                        while got < total {
                            got += AsyncReadExt::read(&mut rx, &mut sink).await.unwrap();
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
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = spsc_io
}
criterion_main!(benches);
