//! Every element pushed into a `PicoRing` is dropped exactly once: on pop, consume, clear,
//! `push_overwrite` and `Extend` eviction, element replacement, and ring drop with wrapped data;
//! on the default backend and on the software mirror.
//!
//! The element owns a heap allocation, so a leak shows in the counts (and under Miri as a leak)
//! and a double drop as a count of two (and as a double free of the box).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use picoring::mirror::MirrorOptions;
use picoring::PicoRing;

mod common;
use common::{backends, Rng};

/// How many times each element id was dropped.
#[derive(Default)]
struct DropLog(RefCell<Vec<u32>>);

impl DropLog {
    fn new() -> Rc<Self> {
        Rc::new(DropLog::default())
    }

    /// A new element with the next id.
    fn make(self: &Rc<Self>) -> Tracked {
        let mut counts = self.0.borrow_mut();
        let id = counts.len();
        counts.push(0);
        Tracked {
            id,
            payload: Box::new(!id),
            log: Rc::clone(self),
            panic_on_drop: false,
        }
    }

    fn drops(&self, id: usize) -> u32 {
        self.0.borrow()[id]
    }

    fn created(&self) -> usize {
        self.0.borrow().len()
    }

    /// Total drops so far.
    fn total(&self) -> u32 {
        self.0.borrow().iter().sum()
    }

    /// Every element ever made was dropped exactly once.
    fn assert_all_dropped_once(&self) {
        for (id, &n) in self.0.borrow().iter().enumerate() {
            assert_eq!(n, 1, "element {id} dropped {n} times");
        }
    }

    /// No element was dropped twice (some may still be alive).
    fn assert_none_dropped_twice(&self) {
        for (id, &n) in self.0.borrow().iter().enumerate() {
            assert!(n <= 1, "element {id} dropped {n} times");
        }
    }
}

/// A drop-counting element with a heap allocation.
struct Tracked {
    id: usize,
    /// `!id` on the heap.
    payload: Box<usize>,
    log: Rc<DropLog>,
    panic_on_drop: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        // A bitwise copy of a dropped element would read freed (garbled) memory here.
        assert_eq!(*self.payload, !self.id, "corrupted element");
        self.log.0.borrow_mut()[self.id] += 1;
        if self.panic_on_drop {
            panic!("element {} panics on drop, as asked", self.id);
        }
    }
}

fn ring(options: &MirrorOptions) -> PicoRing<Tracked> {
    PicoRing::with_options(1, options).expect("ring")
}

/// Pushes `n` new elements; the ring must have room for them.
fn push_new(ring: &mut PicoRing<Tracked>, log: &Rc<DropLog>, n: usize) {
    for _ in 0..n {
        assert!(ring.push(log.make()).is_ok(), "ring full");
    }
}

/// Moves the ring's read position to `cap - k` so that the next pushes wrap.
fn move_head_near_end(ring: &mut PicoRing<Tracked>, log: &Rc<DropLog>, k: usize) {
    let skip = ring.capacity() - k;
    for _ in 0..skip {
        push_new(ring, log, 1);
        drop(ring.pop());
    }
}

/// Runs `scenario` on a new ring and drop log on every backend, then drops the ring: every
/// element made must then have been dropped exactly once.
fn each_backend(scenario: impl Fn(&mut PicoRing<Tracked>, &Rc<DropLog>)) {
    for options in backends() {
        let log = DropLog::new();
        let mut ring = ring(&options);
        scenario(&mut ring, &log);
        drop(ring);
        log.assert_all_dropped_once();
    }
}

#[test]
fn pop_hands_over_ownership() {
    each_backend(|ring, log| {
        push_new(ring, log, 10);
        let first = ring.pop().expect("element");
        assert_eq!(log.total(), 0, "pop must not drop");
        assert_eq!(first.id, 0);
        drop(first);
        assert_eq!(log.drops(0), 1);
        while let Some(e) = ring.pop() {
            drop(e);
        }
    });
}

#[test]
fn push_when_full_gives_the_value_back() {
    each_backend(|ring, log| {
        let free = ring.free_len();
        push_new(ring, log, free);
        let refused = ring.push(log.make()).expect_err("full");
        assert_eq!(log.total(), 0);
        assert_eq!(refused.id, ring.capacity());
        drop(refused);
    });
}

#[test]
fn consume_and_clear_drop_wrapped_elements() {
    each_backend(|ring, log| {
        move_head_near_end(ring, log, 3);
        let before = log.total();
        push_new(ring, log, 10);
        // Drops the 3 before the physical end and 2 after it.
        assert_eq!(ring.consume(5), 5);
        assert_eq!(log.total(), before + 5);
        assert_eq!(ring.front().map(|e| e.id), Some(log.created() - 5));
        // More than queued: clamps.
        assert_eq!(ring.consume(2), 2);
        ring.clear();
        assert!(ring.is_empty());
        log.assert_all_dropped_once();
        // The ring is usable after clear.
        push_new(ring, log, 1);
        assert_eq!(ring.consume(usize::MAX), 1);
        log.assert_all_dropped_once();
    });
}

#[test]
fn push_overwrite_and_extend_evict_exactly_once() {
    each_backend(|ring, log| {
        let cap = ring.capacity();
        for _ in 0..cap {
            assert!(ring.push_overwrite(log.make()).is_none());
        }
        // Each overwrite hands back the oldest; the caller drops it.
        for expected in 0..5 {
            let evicted = ring.push_overwrite(log.make()).expect("evicts when full");
            assert_eq!(evicted.id, expected);
            assert_eq!(log.drops(expected), 0, "evicted, not yet dropped");
            drop(evicted);
            assert_eq!(log.drops(expected), 1);
        }
        assert_eq!(log.total(), 5);
        // Extend drops what it evicts.
        let extra = cap / 2 + 7;
        let items: Vec<Tracked> = (0..extra).map(|_| log.make()).collect();
        ring.extend(items);
        assert_eq!(log.total() as usize, 5 + extra);
        assert_eq!(ring.len(), cap);
        assert_eq!(ring.back().map(|e| e.id), Some(log.created() - 1));
        log.assert_none_dropped_twice();
    });
}

#[test]
fn replacing_elements_in_place_drops_the_old_ones() {
    each_backend(|ring, log| {
        move_head_near_end(ring, log, 2);
        push_new(ring, log, 6);
        let first_id = ring.front().expect("element").id;
        // Assignments drop the old value; elements on both sides of the physical end.
        for i in 0..6 {
            ring.readable_mut()[i] = log.make();
            assert_eq!(log.drops(first_id + i), 1);
        }
        *ring.get_mut(3).expect("element") = log.make();
        // A pop after in-place writes must see the new values (software: twin resynced).
        let popped = ring.pop().expect("element");
        assert_eq!(popped.id, first_id + 6);
        drop(popped);
        log.assert_none_dropped_twice();
    });
}

#[test]
fn ring_drop_drops_wrapped_contents() {
    for fill in [0, 1, 5] {
        each_backend(|ring, log| {
            move_head_near_end(ring, log, 2);
            push_new(ring, log, fill);
        });
    }
    // A full ring, wrapped.
    each_backend(|ring, log| {
        move_head_near_end(ring, log, 1);
        let free = ring.free_len();
        push_new(ring, log, free);
    });
}

#[test]
fn panicking_destructor_in_consume_drops_the_rest_once() {
    each_backend(|ring, log| {
        move_head_near_end(ring, log, 2);
        for i in 0..6 {
            let mut e = log.make();
            e.panic_on_drop = i == 1;
            assert!(ring.push(e).is_ok(), "ring full");
        }
        let result = panic::catch_unwind(AssertUnwindSafe(|| ring.consume(4)));
        assert!(result.is_err(), "the destructor panicked");
        // The consumed elements are gone, panicking one included, and none twice.
        assert_eq!(ring.len(), 2);
        log.assert_none_dropped_twice();
        let alive: Vec<usize> = ring.iter().map(|e| e.id).collect();
        assert_eq!(alive, [log.created() - 2, log.created() - 1]);
    });
}

/// Random operations with a model of ids: whatever happens, every element is dropped once.
#[test]
fn random_operations_drop_everything_once() {
    let steps = if cfg!(miri) { 300 } else { 20_000 };
    for (b, options) in backends().iter().enumerate() {
        let log = DropLog::new();
        let mut ring = ring(options);
        let cap = ring.capacity();
        let mut model: VecDeque<usize> = VecDeque::new();
        let seed = 0x2545_f491_4f6c_dd1d ^ b as u64;
        println!("ring_drop random: backend {options:?}, seed {seed:#x}");
        let mut rng = Rng::new(seed);
        for step in 0..steps {
            let r = rng.next() as usize;
            match r % 8 {
                0..=2 => {
                    let e = log.make();
                    let id = e.id;
                    if ring.push(e).is_ok() {
                        model.push_back(id);
                    }
                }
                3 => {
                    let e = log.make();
                    let id = e.id;
                    let evicted = ring.push_overwrite(e).map(|e| e.id);
                    let expected = if model.len() == cap {
                        model.pop_front()
                    } else {
                        None
                    };
                    model.push_back(id);
                    assert_eq!(evicted, expected, "step {step}");
                }
                4 => assert_eq!(ring.pop().map(|e| e.id), model.pop_front(), "step {step}"),
                5 => {
                    let n = (r >> 8) % 64;
                    let done = ring.consume(n);
                    assert_eq!(done, n.min(model.len()), "step {step}");
                    model.drain(..done);
                }
                6 => {
                    let items: Vec<Tracked> = (0..(r >> 8) % 64).map(|_| log.make()).collect();
                    for e in &items {
                        if model.len() == cap {
                            model.pop_front();
                        }
                        model.push_back(e.id);
                    }
                    ring.extend(items);
                }
                _ => {
                    if (r >> 8) % 32 == 0 {
                        ring.clear();
                        model.clear();
                    }
                }
            }
            assert_eq!(ring.len(), model.len(), "step {step}");
            if cfg!(miri) && step % 16 != 0 {
                continue;
            }
            for &id in &model {
                assert_eq!(
                    log.drops(id),
                    0,
                    "queued element {id} was dropped, step {step}"
                );
            }
        }
        assert!(ring.iter().map(|e| e.id).eq(model.iter().copied()));
        drop(ring);
        log.assert_all_dropped_once();
    }
}
