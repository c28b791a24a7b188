//! The loops of the thread benchmarks: each function moves `n` units (chunks, items or
//! records) from producer threads to the calling thread through one implementation and returns
//! the wall time. Every SPSC peer gets the same waiting policy ([`Backoff`]) and its own chunk
//! API; the MPSC peers block in their own way.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer as _, Observer as _, Producer as _, Split as _};

/// Capacity of the SPSC rings, in bytes: 64 KiB.
pub const RING: usize = 64 * 1024;

/// Spin briefly, then yield: the waiting policy every peer gets in these loops.
#[derive(Debug, Default)]
pub struct Backoff(u32);

impl Backoff {
    /// Waits a little longer each call: a spin hint for the first 32 calls, then a yield.
    pub fn snooze(&mut self) {
        if self.0 < 32 {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
        self.0 += 1;
    }
}

/// Runs `produce` on a new thread and `consume` here; returns the time both took.
pub fn two_threads<P, C>(produce: P, consume: C) -> Duration
where
    P: FnOnce() + Send + 'static,
    C: FnOnce(),
{
    let start = Instant::now();
    let producer = thread::spawn(produce);
    consume();
    producer.join().expect("the producer thread panicked");
    start.elapsed()
}

/// Moves `n` chunks of `chunk` bytes: `put` copies one in on a new thread (false while it
/// does not fit), `take` copies one out here (false while none is queued), each side backing
/// off while it cannot proceed.
fn chunk_loop(
    chunk: usize,
    n: u64,
    mut put: impl FnMut(&[u8]) -> bool + Send + 'static,
    mut take: impl FnMut(&mut [u8]) -> bool,
) -> Duration {
    let src = vec![7u8; chunk];
    let mut sink = vec![0u8; chunk];
    two_threads(
        move || {
            for _ in 0..n {
                let mut backoff = Backoff::default();
                while !put(&src) {
                    backoff.snooze();
                }
            }
        },
        || {
            for _ in 0..n {
                let mut backoff = Backoff::default();
                while !take(&mut sink) {
                    backoff.snooze();
                }
                black_box(&sink);
            }
        },
    )
}

/// `n` chunks of `chunk` bytes through picoring's split ring, filled in place through
/// `writable_at_least` and copied out of `readable_at_least`.
pub fn chunks_picoring(chunk: usize, n: u64) -> Duration {
    let (mut tx, mut rx) = picoring::spsc::channel::<u8>(RING).expect("a 64 KiB ring");
    chunk_loop(
        chunk,
        n,
        move |src| match tx.writable_at_least(chunk) {
            Some(free) => {
                free[..chunk].copy_from_slice(src);
                tx.commit(chunk);
                true
            }
            None => false,
        },
        |sink| match rx.readable_at_least(chunk) {
            Some(queued) => {
                sink.copy_from_slice(&queued[..chunk]);
                rx.consume(chunk);
                true
            }
            None => false,
        },
    )
}

/// The same through rtrb's `write_chunk`/`read_chunk` (two slices at the wrap).
pub fn chunks_rtrb(chunk: usize, n: u64) -> Duration {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u8>::new(RING);
    chunk_loop(
        chunk,
        n,
        move |src| match tx.write_chunk(chunk) {
            Ok(mut slots) => {
                let (first, second) = slots.as_mut_slices();
                let split = first.len();
                first.copy_from_slice(&src[..split]);
                second.copy_from_slice(&src[split..]);
                slots.commit_all();
                true
            }
            Err(_) => false,
        },
        |sink| match rx.read_chunk(chunk) {
            Ok(slots) => {
                let (first, second) = slots.as_slices();
                sink[..first.len()].copy_from_slice(first);
                sink[first.len()..].copy_from_slice(second);
                slots.commit_all();
                true
            }
            Err(_) => false,
        },
    )
}

/// The same through ringbuf's `push_slice`/`pop_slice`, after checking the length.
pub fn chunks_ringbuf(chunk: usize, n: u64) -> Duration {
    let (mut tx, mut rx) = ringbuf::HeapRb::<u8>::new(RING).split();
    chunk_loop(
        chunk,
        n,
        move |src| tx.vacant_len() >= chunk && tx.push_slice(src) == chunk,
        |sink| rx.occupied_len() >= chunk && rx.pop_slice(sink) == chunk,
    )
}

/// Moves `n` `u64`s one at a time: `push` on a new thread (false while full), `pop` here
/// (None while empty), each side backing off while it cannot proceed.
fn one_at_a_time(
    n: u64,
    mut push: impl FnMut(u64) -> bool + Send + 'static,
    mut pop: impl FnMut() -> Option<u64>,
) -> Duration {
    two_threads(
        move || {
            for i in 0..n {
                let mut backoff = Backoff::default();
                while !push(i) {
                    backoff.snooze();
                }
            }
        },
        || {
            for _ in 0..n {
                let mut backoff = Backoff::default();
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

/// `n` single `u64` items through picoring's split ring (`push`/`pop`).
pub fn items_picoring(n: u64) -> Duration {
    let (mut tx, mut rx) = picoring::spsc::channel::<u64>(RING / 8).expect("a 64 KiB ring");
    one_at_a_time(n, move |i| tx.push(i).is_ok(), || rx.pop())
}

/// `n` single `u64` items through rtrb (`push`/`pop`).
pub fn items_rtrb(n: u64) -> Duration {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(RING / 8);
    one_at_a_time(n, move |i| tx.push(i).is_ok(), || rx.pop().ok())
}

/// Size of one MPSC record.
pub const RECORD: usize = 100;

/// `producers` threads share `records` records, each sending through `send` on its own clone
/// of `tx`; `drain` receives them all on the calling thread. Returns the time from the first
/// spawn to the last join.
fn fan_in<S: Clone + Send + 'static>(
    producers: u64,
    records: u64,
    tx: S,
    send: fn(&S, &[u8; RECORD]),
    drain: impl FnOnce(),
) -> Duration {
    let start = Instant::now();
    let workers: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            let mine = records / producers + u64::from(p < records % producers);
            thread::spawn(move || {
                let record = [p as u8; RECORD];
                for _ in 0..mine {
                    send(&tx, &record);
                }
            })
        })
        .collect();
    drop(tx);
    drain();
    for worker in workers {
        worker.join().expect("a producer thread panicked");
    }
    start.elapsed()
}

/// picoring's record ring (128 KiB): `producers` threads share `records` 100-byte records.
pub fn records_picoring(producers: u64, records: u64) -> Duration {
    records_picoring_with(producers, records, |rx| {
        while let Ok(record) = rx.recv() {
            black_box(record[0]);
        }
    })
}

/// As [`records_picoring`], the receiver taking every committed record at once with
/// `recv_batch`.
pub fn records_picoring_batch(producers: u64, records: u64) -> Duration {
    records_picoring_with(producers, records, |rx| {
        while let Ok(batch) = rx.recv_batch() {
            for record in &batch {
                black_box(record[0]);
            }
        }
    })
}

/// picoring's record ring (128 KiB), `drain` receiving all the records.
fn records_picoring_with(
    producers: u64,
    records: u64,
    drain: fn(&mut picoring::mpsc::Receiver),
) -> Duration {
    let (tx, mut rx) = picoring::mpsc::channel(1 << 17).expect("a 128 KiB record ring");
    fan_in(
        producers,
        records,
        tx,
        |tx, record| tx.send(record).expect("the receiver outlives the senders"),
        || drain(&mut rx),
    )
}

/// Records per burst in [`records_burst`].
pub const BURST: u64 = 64;

/// `records` 100-byte records sent and received on the calling thread in bursts of [`BURST`]:
/// each burst sent, then drained with `recv_batch` (`batch`) or `recv` one at a time. The
/// receiver's side of a burst is what differs.
pub fn records_burst(batch: bool, records: u64) -> Duration {
    let (tx, mut rx) = picoring::mpsc::channel(1 << 17).expect("a 128 KiB record ring");
    let record = [1u8; RECORD];
    let start = Instant::now();
    for _ in 0..records.div_ceil(BURST) {
        for _ in 0..BURST {
            tx.send(&record).expect("the receiver is alive");
        }
        if batch {
            while let Some(batch) = rx.try_recv_batch() {
                for record in &batch {
                    black_box(record[0]);
                }
            }
        } else {
            while let Some(record) = rx.try_recv() {
                black_box(record[0]);
            }
        }
    }
    start.elapsed()
}

/// crossbeam-channel carrying each record as a `Vec<u8>`, bounded to 1024 messages (about as
/// many as the record ring holds).
pub fn records_crossbeam(producers: u64, records: u64) -> Duration {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(1024);
    fan_in(
        producers,
        records,
        tx,
        |tx, record| {
            tx.send(record.to_vec())
                .expect("the receiver outlives the senders")
        },
        || {
            while let Ok(record) = rx.recv() {
                black_box(record[0]);
            }
        },
    )
}
