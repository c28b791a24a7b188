//! PicoQueue against a VecDeque model, for 1-, 8- and 24-byte elements on every backend we can
//! run, plus drop counting and the all-or-nothing contract of `push_all`.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::rc::Rc;

use picoring::mirror::MirrorOptions;
use picoring::{InsufficientSpace, PicoQueue, Pod};

mod common;
use common::{backends, bulk_span, check_consume, check_pop_slice, Rng};

/// Model steps: fewer under Miri, which runs the same checks a thousand times slower.
const STEPS: usize = if cfg!(miri) { 150 } else { 2500 };

fn assert_same<T: PartialEq + Debug>(queue: &PicoQueue<T>, model: &VecDeque<T>, step: usize) {
    assert_eq!(queue.len(), model.len(), "step {step}");
    assert_eq!(queue.free_len(), queue.capacity() - model.len());
    assert_eq!(queue.is_empty(), model.is_empty());
    assert_eq!(queue.is_full(), model.len() == queue.capacity());
    assert!(
        queue.readable().iter().eq(model.iter()),
        "step {step}: view differs"
    );
}

/// Random operations on a queue and a VecDeque; every observable result must match.
fn run_model<T: Pod + PartialEq + Debug>(seed: u64, make: fn(u64) -> T, options: &MirrorOptions) {
    let mut rng = Rng::new(seed);
    let mut queue = PicoQueue::<T>::with_options(1, options).expect("queue");
    let cap = queue.capacity();
    // Start a little before the physical end, so even a short run wraps.
    queue.push_all(&vec![make(0); cap - 100]).expect("fits");
    queue.consume(cap - 100);
    let span = bulk_span(cap);
    let mut model = VecDeque::new();
    for step in 0..STEPS {
        match rng.below(12) {
            0 | 1 => {
                let v = make(rng.next());
                match queue.push(v) {
                    Ok(()) => model.push_back(v),
                    Err(back) => {
                        assert_eq!(model.len(), cap);
                        assert_eq!(back, v);
                    }
                }
            }
            2 => assert_eq!(queue.pop(), model.pop_front()),
            3 | 4 => {
                // Mostly sizes that fit, sometimes ones that do not.
                let n = rng.below(span / 2 + span / 8);
                let values: Vec<T> = (0..n).map(|_| make(rng.next())).collect();
                let free = cap - model.len();
                match queue.push_all(&values) {
                    Ok(()) => model.extend(values.iter().copied()),
                    Err(err) => assert_eq!(
                        (err, n > free),
                        (InsufficientSpace { needed: n, free }, true)
                    ),
                }
            }
            5 => {
                let n = rng.below(span / 2 + span / 8);
                let values: Vec<T> = (0..n).map(|_| make(rng.next())).collect();
                let pushed = queue.push_slice(&values);
                assert_eq!(pushed, n.min(cap - model.len()));
                model.extend(values[..pushed].iter().copied());
            }
            6 => {
                let len = rng.below(span / 2);
                check_pop_slice(|out| queue.pop_slice(out), &mut model, len, make(0));
            }
            7 => check_consume(|n| queue.consume(n), &mut model, rng.below(span / 2)),
            8 | 9 => {
                let free = queue.writable();
                assert_eq!(free.len(), cap - model.len());
                let k = rng.below(free.len().min(span) + 1);
                for slot in &mut free[..k] {
                    *slot = make(rng.next());
                    model.push_back(*slot);
                }
                assert_eq!(queue.commit(k), k);
            }
            10 => {
                if let Some(front) = model.front() {
                    assert_eq!(queue.as_ring().front(), Some(front));
                }
            }
            _ => {
                if rng.below(8) == 0 {
                    queue.clear();
                    model.clear();
                }
            }
        }
        assert_same(&queue, &model, step);
    }
}

#[test]
fn model_u8() {
    for (i, options) in backends().iter().enumerate() {
        run_model(0x1234 + i as u64, |r| r as u8, options);
    }
}

#[test]
fn model_u64() {
    for (i, options) in backends().iter().enumerate() {
        run_model(0x5678 + i as u64, |r| r, options);
    }
}

#[test]
fn model_24_byte_elements() {
    for (i, options) in backends().iter().enumerate() {
        run_model(0x9ABC + i as u64, |r| [r, r.rotate_left(21), !r], options);
    }
}

#[test]
fn push_all_is_all_or_nothing_and_fills_exactly() {
    let mut queue = PicoQueue::<u32>::with_capacity(1).expect("queue");
    let cap = queue.capacity();
    // Wrap the queue first, so the bulk push crosses the physical end.
    queue.push_all(&vec![0; cap - 3]).expect("fits");
    queue.consume(cap - 3);
    let before = queue.readable().to_vec();
    let too_many: Vec<u32> = (0..=cap as u32).collect();
    let err = queue.push_all(&too_many).unwrap_err();
    assert_eq!(
        err,
        InsufficientSpace {
            needed: cap + 1,
            free: cap
        }
    );
    assert_eq!(queue.readable(), &before[..]);
    let exactly: Vec<u32> = (0..cap as u32).collect();
    queue.push_all(&exactly).expect("exactly capacity fits");
    assert!(queue.is_full());
    assert_eq!(queue.readable(), &exactly[..]);
    assert_eq!(queue.push_all(&[]), Ok(()));
    assert_eq!(
        queue.push_all(&[1]),
        Err(InsufficientSpace { needed: 1, free: 0 })
    );
}

#[test]
fn insufficient_space_is_a_std_error() {
    let err: Box<dyn std::error::Error> = Box::new(InsufficientSpace { needed: 5, free: 2 });
    assert_eq!(
        err.to_string(),
        "insufficient space: 5 elements needed, 2 free"
    );
}

#[test]
fn writable_commit_clamps() {
    let mut queue = PicoQueue::<u16>::with_capacity(1).expect("queue");
    let cap = queue.capacity();
    queue.push(7).unwrap();
    let free = queue.writable();
    free.fill(9);
    assert_eq!(queue.commit(cap + 10), cap - 1);
    assert!(queue.is_full());
    assert_eq!(queue.readable()[0], 7);
    assert!(queue.readable()[1..].iter().all(|&v| v == 9));
    assert_eq!(queue.commit(1), 0);
}

/// Counts its own drops, and remembers its id so order can be checked too.
struct Tracked {
    id: u64,
    drops: Rc<Cell<usize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn every_element_dropped_exactly_once() {
    for options in backends() {
        let drops = Rc::new(Cell::new(0));
        let mut created = 0usize;
        let mut rng = Rng::new(0xD0D0);
        let mut queue = PicoQueue::<Tracked>::with_options(1, &options).expect("queue");
        let cap = queue.capacity();
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut new_item = |id: u64| {
            created += 1;
            Tracked {
                id,
                drops: Rc::clone(&drops),
            }
        };
        for step in 0..STEPS as u64 {
            match rng.below(6) {
                0 | 1 => match queue.push(new_item(step)) {
                    Ok(()) => model.push_back(step),
                    Err(back) => {
                        assert_eq!(back.id, step);
                        assert_eq!(model.len(), cap);
                    }
                },
                2 => {
                    let popped = queue.pop().map(|t| t.id);
                    assert_eq!(popped, model.pop_front());
                }
                3 => {
                    let n = rng.below(64);
                    let before = drops.get();
                    let done = queue.consume(n);
                    assert_eq!(done, n.min(model.len()));
                    assert_eq!(drops.get(), before + done, "consume drops at once");
                    model.drain(..done);
                }
                4 => {
                    let evicted = queue.as_ring_mut().push_overwrite(new_item(step));
                    if model.len() == cap {
                        assert_eq!(evicted.map(|t| t.id), model.pop_front());
                    } else {
                        assert!(evicted.is_none());
                    }
                    model.push_back(step);
                }
                _ => {
                    if rng.below(20) == 0 {
                        let before = drops.get();
                        queue.clear();
                        assert_eq!(drops.get(), before + model.len());
                        model.clear();
                    }
                }
            }
            assert!(queue
                .readable()
                .iter()
                .map(|t| t.id)
                .eq(model.iter().copied()));
        }
        assert_eq!(drops.get() + queue.len(), created);
        drop(queue);
        assert_eq!(drops.get(), created);
    }
}

#[test]
fn debug_lists_the_elements() {
    let mut queue = PicoQueue::<u8>::with_capacity(4).expect("queue");
    queue.push_all(&[1, 2]).unwrap();
    assert_eq!(format!("{queue:?}"), "[1, 2]");
}
