//! `mpsc_producers`: picoring's record ring with 2 and with 8 producers of 100-byte records on
//! this machine's cores (records/s). The comparisons with peers (rtrb, ringbuf,
//! crossbeam-channel) are in `paired.rs`, measured in interleaved rounds.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use picoring_compare::threads::records_picoring;

/// picoring's record ring with 2 and with 8 producers: how throughput holds up with more
/// producers than cores.
fn mpsc_producers(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc_producers");
    group.throughput(Throughput::Elements(1));
    for producers in [2u64, 8] {
        group.bench_with_input(
            BenchmarkId::new("picoring", producers),
            &producers,
            |b, &p| b.iter_custom(|n| records_picoring(p, n)),
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::threads_config();
    targets = mpsc_producers
}
criterion_main!(benches);
