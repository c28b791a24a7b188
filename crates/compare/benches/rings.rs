//! Ring operations other than streaming: create + drop, single-element push + pop, and one
//! contiguous view of wrapped data.

mod common;

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{config, for_each_fifo, Group};
use criterion::{criterion_group, criterion_main, Criterion};
use picoring_compare::fifo::ByteFifo;
use picoring_compare::RING_BYTES;
use ringbuf::traits::{Consumer, Producer};

fn create_one<F: ByteFifo>(group: &mut Group<'_>, bytes: usize) {
    group.bench_function(F::NAME, |b| b.iter(|| F::with_capacity(black_box(bytes))));
}

/// Creating and dropping a ring. The mirrored rings make system calls (memfd, mmap, munmap);
/// the heap ones call malloc, which for these sizes often only reserves address space.
fn create_drop(c: &mut Criterion) {
    for (label, bytes) in [("64KiB", 64 * 1024), ("1MiB", 1024 * 1024)] {
        let mut group = c.benchmark_group(format!("create_drop_{label}"));
        for_each_fifo!(create_one(&mut group, bytes));
        group.finish();
    }
}

/// Ring length for the single-element benchmark, in `u64` slots; half of it stays queued.
const SLOTS: usize = 1024;

/// Runs `push_pop` (which pushes one value and pops one), after the caller queued SLOTS / 2.
fn push_pop_one(group: &mut Group<'_>, name: &str, mut push_pop: impl FnMut(u64) -> u64) {
    group.bench_function(name, |b| {
        let mut i = 0u64;
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(push_pop(black_box(i)))
        })
    });
}

/// For each peer `name: new, push |ring, value| push, pop |ring| pop;`: makes a ring with
/// `new`, queues SLOTS / 2 values with `push`, then times one `push` and one `pop`.
macro_rules! push_pop_peers {
    ($group:ident; $($name:literal: $new:expr,
        push |$r:ident, $v:ident| $push:expr, pop |$r2:ident| $pop:expr;)*) => {$({
        let mut ring = $new;
        for $v in 0..(SLOTS / 2) as u64 {
            let $r = &mut ring;
            $push;
        }
        push_pop_one(&mut $group, $name, |$v| {
            let $r = &mut ring;
            $push;
            let $r2 = &mut ring;
            $pop
        });
    })*};
}

fn single_element(c: &mut Criterion) {
    let mut group = c.benchmark_group("push_pop_one_u64");
    push_pop_peers! { group;
        "picoring": picoring::PicoRing::<u64>::with_capacity(SLOTS).expect("ring"),
            push |r, v| r.push(v).expect("room"), pop |r| r.pop().expect("value");
        "picoring 0.6": picoring_upstream::PicoRing::<u64>::with_capacity(SLOTS).expect("ring"),
            push |r, v| assert!(r.push(v)), pop |r| r.pop().expect("value");
        "VecDeque": VecDeque::with_capacity(SLOTS),
            push |r, v| r.push_back(v), pop |r| r.pop_front().expect("value");
        "slice-ring-buffer": slice_ring_buffer::SliceRingBuffer::with_capacity(SLOTS),
            push |r, v| r.push_back(v), pop |r| r.pop_front().expect("value");
        "ringbuf": ringbuf::LocalRb::<ringbuf::storage::Heap<u64>>::new(SLOTS),
            push |r, v| r.try_push(v).expect("room"), pop |r| r.try_pop().expect("value");
        "rtrb": rtrb::RingBuffer::new(SLOTS),
            push |r, v| r.0.push(v).expect("room"), pop |r| r.1.pop().expect("value");
        // A thread-safe channel, for scale: what people reach for when a ring is not at hand.
        "crossbeam-channel": crossbeam_channel::bounded(SLOTS),
            push |r, v| r.0.send(v).expect("open"), pop |r| r.1.recv().expect("value");
    }
    group.finish();
}

/// Rings per timed batch in the view benchmark: one clock read per batch, not per view.
const VIEW_BATCH: usize = 16;
/// Bytes queued in each ring when it is viewed; they straddle the physical end.
const VIEW_QUEUED: usize = RING_BYTES / 2;

/// Leaves `VIEW_QUEUED` bytes in `fifo`, starting 3/4 into the ring so they wrap.
fn wrap(fifo: &mut impl ByteFifo, filler: &[u8], scratch: &mut [u8]) {
    picoring_compare::fifo::wrap_at(fifo, RING_BYTES, VIEW_QUEUED, filler, scratch);
}

/// Time to get one contiguous `&[u8]` of wrapped queued bytes (read first and last byte).
/// Re-wrapping between batches is not timed.
fn view_one<F: ByteFifo>(group: &mut Group<'_>) {
    let mut rings: Vec<F> = (0..VIEW_BATCH)
        .map(|_| F::with_capacity(RING_BYTES))
        .collect();
    let filler: Vec<u8> = (0..RING_BYTES).map(|i| i as u8).collect();
    let mut scratch = vec![0u8; RING_BYTES];
    let name = if F::VIEW_COPIES {
        format!("{} (copies)", F::NAME)
    } else {
        F::NAME.to_string()
    };
    for ring in &mut rings {
        wrap(ring, &filler, &mut scratch);
        assert!(
            ring.contiguous() == &filler[..VIEW_QUEUED],
            "{} view differs",
            F::NAME
        );
    }
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                rings
                    .iter_mut()
                    .for_each(|r| wrap(r, &filler, &mut scratch));
                let batch = (iters - done).min(VIEW_BATCH as u64) as usize;
                let start = Instant::now();
                for ring in &mut rings[..batch] {
                    let view = ring.contiguous();
                    black_box((view.len(), view.first(), view.last()));
                }
                total += start.elapsed();
                done += batch as u64;
            }
            total
        })
    });
}

fn contiguous_view(c: &mut Criterion) {
    let mut group = c.benchmark_group("contiguous_view_32KiB_wrapped");
    for_each_fifo!(view_one(&mut group));
    group.finish();
}

criterion_group! { name = benches; config = config(); targets = create_drop, single_element, contiguous_view }
criterion_main!(benches);
