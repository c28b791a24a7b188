//! The overwriting SPSC ring: a model test against a `VecDeque` that drops its oldest element
//! when full (lost counts included), the producer refused while a view claims a full ring, and
//! a two-thread stress run checking order and that received + lost = pushed.

use std::collections::VecDeque;
use std::thread;
use std::time::Duration;

use picoring::mirror::MirrorOptions;
use picoring::spsc::overwrite::{self, Consumer, Producer};
use picoring::spsc::WaitError;

mod common;
use common::{check_pop_slice, Rng};

fn ends(capacity: usize, options: &MirrorOptions) -> (Producer<u32>, Consumer<u32>) {
    overwrite::channel_with_options(capacity, options).unwrap()
}

/// The reference: a bounded deque that drops its oldest element to make room, counting the
/// drops the consumer has not seen yet (`unseen`) apart from those a read has found (`seen`,
/// what `take_lost` reports).
struct Model {
    queue: VecDeque<u32>,
    cap: usize,
    unseen: u64,
    seen: u64,
}

impl Model {
    fn push_overwrite(&mut self, value: u32) {
        if self.queue.len() == self.cap {
            self.queue.pop_front();
            self.unseen += 1;
        }
        self.queue.push_back(value);
    }

    /// A read found the drops so far.
    fn read(&mut self) -> &mut VecDeque<u32> {
        self.seen += std::mem::take(&mut self.unseen);
        &mut self.queue
    }
}

/// Random single-thread operations on both ends, checked against the model after each one.
fn model_run(options: &MirrorOptions, seed: u64) {
    let (mut tx, mut rx) = ends(1, options);
    let cap = tx.capacity();
    let mut model = Model {
        queue: VecDeque::new(),
        cap,
        unseen: 0,
        seen: 0,
    };
    let mut rng = Rng::new(seed);
    let mut next = 0u32;
    let steps = if cfg!(miri) { 300 } else { 3000 };
    for _ in 0..steps {
        match rng.below(9) {
            0 => {
                let pushed = tx.push(next);
                assert_eq!(pushed.is_ok(), model.queue.len() < cap);
                if pushed.is_ok() {
                    model.queue.push_back(next);
                }
                next += 1;
            }
            1 => {
                assert_eq!(tx.push_overwrite(next), Ok(()));
                model.push_overwrite(next);
                next += 1;
            }
            2 => {
                let n = rng.below(cap * 5 / 2 + 1);
                let values: Vec<u32> = (next..next + n as u32).collect();
                assert_eq!(tx.push_slice_overwrite(&values), n);
                values.iter().for_each(|&v| model.push_overwrite(v));
                next += n as u32;
            }
            3 => assert_eq!(rx.pop(), model.read().pop_front()),
            4 => {
                let len = rng.below(cap + 2);
                check_pop_slice(|out| rx.pop_slice(out), model.read(), len, u32::MAX);
            }
            5 => {
                let view = rx.readable();
                let queue = model.read();
                assert!(view.iter().eq(queue.iter()));
                let n = rng.below(view.len() + 2);
                assert_eq!(view.consume(n), n.min(queue.len()));
                queue.drain(..n.min(queue.len()));
            }
            6 => {
                // A view is alive: the overwriting pushes go into free space while there is
                // some, are refused once the ring is full, and the view's contents stay put.
                let view = rx.readable();
                let before: Vec<u32> = view.to_vec();
                let queue = model.read();
                assert!(before.iter().eq(queue.iter()));
                let first = queue.len() < cap;
                assert_eq!(tx.push_overwrite(next).is_ok(), first);
                let second = queue.len() + usize::from(first) < cap;
                assert_eq!(tx.push_slice_overwrite(&[next + 1]), usize::from(second));
                assert_eq!(&*view, &before[..]);
                drop(view);
                queue.extend([next].iter().filter(|_| first));
                queue.extend([next + 1].iter().filter(|_| second));
                next += 2;
            }
            7 => assert_eq!(rx.take_lost(), std::mem::take(&mut model.seen)),
            _ => {
                assert_eq!(rx.len(), model.queue.len());
                assert_eq!(rx.is_empty(), model.queue.is_empty());
            }
        }
    }
    // Drain: everything pushed is either read or reported lost.
    while rx.pop().is_some() {}
    model.read().clear();
    assert_eq!(rx.take_lost(), model.seen);
}

#[test]
fn model_against_a_dropping_deque() {
    for options in common::backends() {
        for seed in 1..=if cfg!(miri) { 2 } else { 6 } {
            model_run(&options, seed);
        }
    }
}

#[test]
fn a_full_ring_read_in_place_is_not_overwritten() {
    let (mut tx, mut rx) = overwrite::channel::<u64>(1).unwrap();
    let cap = tx.capacity() as u64;
    for i in 0..cap {
        tx.push_overwrite(i).unwrap();
    }
    let view = rx.readable();
    assert_eq!(tx.push_overwrite(cap), Err(cap));
    assert_eq!(view[0], 0);
    view.consume(1);
    tx.push_overwrite(cap).unwrap(); // into the freed slot
    tx.push_overwrite(cap + 1).unwrap(); // drops 1
    assert_eq!(rx.pop(), Some(2));
    assert_eq!(rx.take_lost(), 1);
}

#[test]
fn wait_reports_the_producer_gone() {
    let (mut tx, mut rx) = overwrite::channel::<u8>(16).unwrap();
    tx.push_overwrite(1).unwrap();
    drop(tx);
    assert!(rx.is_abandoned());
    assert_eq!(rx.wait_readable(1, None), Ok(1));
    assert_eq!(rx.pop(), Some(1));
    assert_eq!(rx.wait_readable(1, None), Err(WaitError::Disconnected));
}

/// One producer overwriting as fast as it can (single pushes and slices), one consumer reading
/// in all three ways with pauses: what is received is in order, and received + lost = pushed.
fn stress(options: &MirrorOptions, seed: u64) {
    let (mut tx, mut rx) = overwrite::channel_with_options::<u64>(64, options).unwrap();
    let total = if cfg!(miri) {
        2_000
    } else {
        common::debug_or_release(100_000u64, 2_000_000)
    };
    let producer = thread::spawn(move || {
        let mut rng = Rng::new(seed);
        let (mut next, mut pushed) = (0u64, 0u64);
        while next < total {
            if rng.below(2) == 0 {
                if tx.push_overwrite(next).is_ok() {
                    pushed += 1;
                }
                next += 1;
            } else {
                let n = (rng.below(100) as u64).min(total - next);
                let values: Vec<u64> = (next..next + n).collect();
                pushed += tx.push_slice_overwrite(&values) as u64;
                next += n;
            }
        }
        pushed
    });
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut received = 0u64;
    let mut last: Option<u64> = None;
    let mut check = |v: u64| {
        assert!(last < Some(v), "{v} after {last:?}");
        last = Some(v);
    };
    let mut out = [0u64; 40];
    while rx.wait_readable(1, None).is_ok() {
        match rng.below(4) {
            0 => {
                if let Some(v) = rx.pop() {
                    check(v);
                    received += 1;
                }
            }
            1 => {
                let n = rx.pop_slice(&mut out);
                out[..n].iter().for_each(|&v| check(v));
                received += n as u64;
            }
            2 => {
                let view = rx.readable();
                view.iter().for_each(|&v| check(v));
                let n = view.len();
                received += view.consume(n) as u64;
            }
            _ => {
                if rng.below(64) == 0 {
                    thread::sleep(Duration::from_micros(50));
                } else {
                    thread::yield_now();
                }
            }
        }
    }
    let pushed = producer.join().unwrap();
    let lost = rx.take_lost();
    assert_eq!(received + lost, pushed, "received {received} lost {lost}");
    // Under Miri the threads take turns in large steps; elsewhere the pauses make it lag.
    assert!(
        lost > 0 || cfg!(miri),
        "the consumer never fell behind: the test shows nothing"
    );
}

#[test]
fn stress_received_plus_lost_is_pushed() {
    for options in common::backends() {
        stress(&options, 7);
    }
}
