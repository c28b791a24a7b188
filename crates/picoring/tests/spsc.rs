//! The split SPSC ring: a model test against `VecDeque`, a two-thread stream with a running
//! checksum, exactly-once drops with either end dropped mid-stream, waits and disconnection.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use picoring::mirror::{Backend, MirrorOptions};
use picoring::spsc::{self, Consumer, Producer, WaitError};
use picoring::PicoRing;

mod common;
use common::Rng;

fn software() -> MirrorOptions {
    MirrorOptions::new().backend(Backend::Software)
}

fn ends<T: Send>(capacity: usize, options: &MirrorOptions) -> (Producer<T>, Consumer<T>) {
    PicoRing::with_options(capacity, options).unwrap().split()
}

/// Random single-thread operations on both ends, checked against a `VecDeque` after each one.
fn model_run(options: &MirrorOptions, seed: u64) {
    let (mut tx, mut rx) = ends::<u32>(1, options);
    let cap = tx.capacity();
    let mut model = VecDeque::new();
    let mut rng = Rng::new(seed);
    let mut next = 0u32;
    let steps = if cfg!(miri) { 300 } else { 4000 };
    for _ in 0..steps {
        match rng.below(8) {
            0 => {
                let pushed = tx.push(next);
                assert_eq!(pushed.is_ok(), model.len() < cap);
                if pushed.is_ok() {
                    model.push_back(next);
                }
                next += 1;
            }
            1 => {
                let n = rng.below(cap + cap / 2);
                let values: Vec<u32> = (next..next + n as u32).collect();
                let pushed = tx.push_slice(&values);
                assert_eq!(pushed, n.min(cap - model.len()));
                model.extend(&values[..pushed]);
                next += n as u32;
            }
            2 => {
                let free = tx.writable();
                assert_eq!(free.len(), cap - model.len());
                let n = rng.below(free.len() + 1);
                for (i, slot) in free[..n].iter_mut().enumerate() {
                    *slot = next + i as u32;
                }
                assert_eq!(tx.commit(n), n);
                model.extend(next..next + n as u32);
                next += n as u32;
            }
            3 => assert_eq!(rx.pop(), model.pop_front()),
            6 => {
                // The lazy forms: a slice of at least `min` (maybe less than all), or None.
                let min = rng.below(cap + 2);
                let free = cap - model.len();
                match tx.writable_at_least(min) {
                    None => assert!(min > free, "refused {min} with {free} free"),
                    Some(slots) => {
                        assert!(min <= free && slots.len() >= min && slots.len() <= free);
                        let n = rng.below(slots.len() + 1);
                        for (i, slot) in slots[..n].iter_mut().enumerate() {
                            *slot = next + i as u32;
                        }
                        assert_eq!(tx.commit(n), n);
                        model.extend(next..next + n as u32);
                        next += n as u32;
                    }
                }
            }
            7 => {
                let min = rng.below(cap + 2);
                match rx.readable_at_least(min) {
                    None => assert!(min > model.len()),
                    Some(queued) => {
                        assert!(queued.len() >= min && queued.len() <= model.len());
                        let expected: Vec<u32> = model.iter().take(queued.len()).copied().collect();
                        assert_eq!(queued, &expected[..]);
                        let n = rng.below(queued.len() + 1);
                        assert_eq!(rx.consume(n), n);
                        model.drain(..n);
                    }
                }
            }
            4 => {
                let mut out = vec![0; rng.below(cap + 1)];
                let n = rx.pop_slice(&mut out);
                let expected: Vec<u32> = model.drain(..n.min(model.len())).collect();
                assert_eq!(&out[..n], &expected[..]);
            }
            _ => {
                let readable = rx.readable().to_vec();
                assert_eq!(readable, model.iter().copied().collect::<Vec<_>>());
                let n = rng.below(cap + 2);
                assert_eq!(rx.consume(n), n.min(model.len()));
                model.drain(..n.min(model.len()));
            }
        }
        assert_eq!(rx.len(), model.len());
        assert_eq!(tx.free_len(), cap - model.len());
    }
}

#[test]
fn matches_vecdeque_model() {
    for seed in 1..4 {
        model_run(&MirrorOptions::new(), seed);
        model_run(&software(), seed);
    }
}

#[test]
fn split_keeps_queued_elements_across_the_wrap() {
    let mut ring = PicoRing::<u16>::with_capacity(1).unwrap();
    let cap = ring.capacity();
    ring.push_slice(&vec![0; cap - 3]);
    ring.consume(cap - 3);
    ring.push_slice(&[1, 2, 3, 4, 5]);
    let (mut tx, mut rx) = ring.split();
    assert_eq!(tx.free_len(), cap - 5);
    assert_eq!(rx.readable(), [1, 2, 3, 4, 5]);
}

/// Byte `i` of the test stream.
fn stream_byte(i: u64) -> u8 {
    (i ^ (i >> 8) ^ (i >> 19)).wrapping_mul(31) as u8
}

/// FNV-1a step: the running checksum both sides keep.
fn fnv(hash: u64, byte: u8) -> u64 {
    (hash ^ byte as u64).wrapping_mul(0x100_0000_01b3)
}

/// Moves `total` bytes from one thread to another in random chunk sizes, through every API
/// of both ends, checking each byte's value and position and a running checksum.
fn stream(total: u64, capacity: usize, options: &MirrorOptions, seed: u64) {
    let (mut tx, mut rx) = ends::<u8>(capacity, options);
    let writer = thread::spawn(move || {
        let mut rng = Rng::new(seed);
        let mut sent = 0u64;
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        let mut scratch = Vec::new();
        while sent < total {
            let want = (1 + rng.below(tx.capacity())).min((total - sent) as usize);
            // Both sides wait for at most half the ring, so their waits can never both block.
            tx.wait_writable(1 + rng.below(want.min(tx.capacity() / 2)), None)
                .unwrap();
            let n = if rng.below(2) == 0 {
                let free = tx.writable();
                let n = want.min(free.len());
                for (k, slot) in free[..n].iter_mut().enumerate() {
                    *slot = stream_byte(sent + k as u64);
                }
                assert_eq!(tx.commit(n), n);
                n
            } else {
                scratch.clear();
                scratch.extend((0..want as u64).map(|k| stream_byte(sent + k)));
                tx.push_slice(&scratch)
            };
            for k in 0..n as u64 {
                hash = fnv(hash, stream_byte(sent + k));
            }
            sent += n as u64;
        }
        hash
    });
    let mut rng = Rng::new(seed ^ 0xdead_beef);
    let mut received = 0u64;
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut out = vec![0u8; rx.capacity()];
    while received < total {
        let min = 1 + rng.below((rx.capacity() / 2).min((total - received) as usize));
        match rx.wait_readable(min, None) {
            Ok(_) => {}
            Err(WaitError::Disconnected) => panic!("writer left early at {received}"),
            Err(WaitError::TimedOut) => unreachable!("no timeout was set"),
        }
        let check = |bytes: &[u8], at: u64, hash: &mut u64| {
            for (k, &b) in bytes.iter().enumerate() {
                assert_eq!(b, stream_byte(at + k as u64), "byte {}", at + k as u64);
                *hash = fnv(*hash, b);
            }
        };
        let n = if rng.below(2) == 0 {
            let readable = rx.readable();
            let n = readable.len().min(1 + rng.below(readable.len()));
            check(&readable[..n], received, &mut hash);
            assert_eq!(rx.consume(n), n);
            n
        } else {
            let len = 1 + rng.below(out.len());
            let n = rx.pop_slice(&mut out[..len]);
            check(&out[..n], received, &mut hash);
            n
        };
        received += n as u64;
    }
    assert_eq!(writer.join().unwrap(), hash);
    assert_eq!(rx.pop(), None);
}

#[test]
fn two_threads_stream_with_checksum() {
    // 1 GiB in release builds; `make test` runs debug builds, where 24 MiB keeps it quick.
    let total = common::debug_or_release(24 << 20, 1 << 30);
    stream(total, 1 << 16, &MirrorOptions::new(), 7);
}

#[test]
fn two_threads_stream_small_ring_software_backend() {
    let total = common::debug_or_release(4 << 20, 256 << 20);
    stream(total, 1, &software(), 11);
}

/// An element that counts its drops in a per-test table.
struct Tracked {
    id: usize,
    drops: Arc<Vec<AtomicUsize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Ordering::Relaxed);
    }
}

fn drop_table(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

fn assert_each_dropped_once(drops: &[AtomicUsize], created: usize) {
    for (id, count) in drops[..created].iter().enumerate() {
        assert_eq!(count.load(Ordering::Relaxed), 1, "element {id}");
    }
}

#[test]
fn either_end_dropped_mid_stream_drops_each_element_once() {
    let mut rng = Rng::new(3);
    for round in 0..40 {
        let n = 3000;
        let drops = drop_table(n);
        let (mut tx, mut rx) = spsc::channel::<Tracked>(1 + rng.below(600)).unwrap();
        let stop_consumer_after = rng.below(n);
        let stop_producer_after = rng.below(n);
        let producer_drops_first = round % 2 == 0;
        let table = Arc::clone(&drops);
        let writer = thread::spawn(move || {
            let mut created = 0;
            while created < n {
                if producer_drops_first && created == stop_producer_after {
                    break;
                }
                let item = Tracked {
                    id: created,
                    drops: Arc::clone(&table),
                };
                created += 1;
                if tx.push_blocking(item).is_err() {
                    break; // the consumer left; the item came back and drops here
                }
            }
            created
        });
        let mut popped = 0;
        loop {
            if !producer_drops_first && popped == stop_consumer_after {
                break;
            }
            match rx.pop_blocking() {
                Some(item) => {
                    assert_eq!(item.id, popped);
                    popped += 1;
                }
                None => break,
            }
        }
        drop(rx);
        let created = writer.join().unwrap();
        assert_each_dropped_once(&drops, created);
        assert!(drops[created..]
            .iter()
            .all(|c| c.load(Ordering::Relaxed) == 0));
    }
}

#[test]
fn consume_and_ring_drop_drop_every_element_once() {
    let drops = drop_table(100);
    let (mut tx, mut rx) = spsc::channel::<Tracked>(1).unwrap();
    for id in 0..100 {
        tx.push(Tracked {
            id,
            drops: Arc::clone(&drops),
        })
        .ok()
        .unwrap();
    }
    assert_eq!(rx.consume(30), 30);
    assert!(drops[..30].iter().all(|c| c.load(Ordering::Relaxed) == 1));
    drop(rx);
    assert!(drops[30..].iter().all(|c| c.load(Ordering::Relaxed) == 0));
    drop(tx);
    assert_each_dropped_once(&drops, 100);
}

#[test]
fn waits_time_out_no_earlier_than_asked() {
    let (mut tx, mut rx) = spsc::channel::<u8>(1).unwrap();
    let timeout = Duration::from_millis(30);
    let start = Instant::now();
    assert_eq!(rx.wait_readable(1, Some(timeout)), Err(WaitError::TimedOut));
    assert!(start.elapsed() >= timeout);
    let cap = tx.capacity();
    tx.push_slice(&vec![0; cap]);
    let start = Instant::now();
    assert_eq!(tx.wait_writable(1, Some(timeout)), Err(WaitError::TimedOut));
    assert!(start.elapsed() >= timeout);
    // A huge timeout is "forever", not an overflow panic; here the data is already there.
    assert_eq!(rx.wait_readable(cap, Some(Duration::MAX)), Ok(cap));
}

#[test]
fn blocked_waits_see_the_other_end_leave() {
    let (tx, mut rx) = spsc::channel::<u8>(1).unwrap();
    let reader = thread::spawn(move || rx.wait_readable(1, None));
    thread::sleep(Duration::from_millis(20));
    drop(tx);
    assert_eq!(reader.join().unwrap(), Err(WaitError::Disconnected));

    let (mut tx, rx) = spsc::channel::<u8>(1).unwrap();
    let cap = tx.capacity();
    tx.push_slice(&vec![0; cap]);
    let writer = thread::spawn(move || (tx.push_blocking(9), tx.wait_writable(1, None)));
    thread::sleep(Duration::from_millis(20));
    drop(rx);
    assert_eq!(
        writer.join().unwrap(),
        (Err(9), Err(WaitError::Disconnected))
    );
}

#[test]
fn data_queued_before_disconnect_is_still_delivered() {
    let (mut tx, mut rx) = spsc::channel::<u8>(64).unwrap();
    tx.push_slice(b"last words");
    drop(tx);
    assert_eq!(rx.wait_readable(4, None), Ok(10));
    assert_eq!(rx.wait_readable(11, None), Err(WaitError::Disconnected));
    assert_eq!(rx.readable(), b"last words");
}

#[test]
fn io_traits_behave_like_a_pipe() {
    let (mut tx, mut rx) = spsc::channel::<u8>(4096).unwrap();
    let total = 1 << 20;
    let writer = thread::spawn(move || {
        let data: Vec<u8> = (0..total as u64).map(stream_byte).collect();
        tx.write_all(&data).unwrap();
    });
    let mut all = Vec::new();
    rx.read_to_end(&mut all).unwrap();
    writer.join().unwrap();
    assert_eq!(all.len(), total);
    assert!(all
        .iter()
        .enumerate()
        .all(|(i, &b)| b == stream_byte(i as u64)));

    let (mut tx, rx) = spsc::channel::<u8>(16).unwrap();
    drop(rx);
    assert_eq!(
        tx.write(b"x").unwrap_err().kind(),
        std::io::ErrorKind::BrokenPipe
    );
}

#[test]
fn ends_are_send() {
    fn is_send<T: Send>() {}
    is_send::<Producer<String>>();
    is_send::<Consumer<String>>();
}
