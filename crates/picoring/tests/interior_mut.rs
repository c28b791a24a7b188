//! Elements with interior mutability (`Cell`, `RefCell`, `Mutex`, atomics) changed through the
//! shared views (`PicoRing::readable`/`get`/`iter`/`front`/`back`, `PicoQueue::readable`, the SPSC
//! consumer's `readable`) while the queue wraps past the physical end of the buffer: every later
//! `pop`, `consume` and drop sees the change, and every element is dropped exactly once.
//!
//! On the software mirror the two halves of the buffer are separate copies, so these are the
//! cases where a change made through a view of one copy could be lost when the other copy is
//! read later; on the OS backends they hold trivially. Each test runs on every backend.
//!
//! The element values own heap allocations (a `Box` inside each counted value), so a stale copy
//! shows as a wrong value, a drop count of two, a double free natively and undefined behaviour
//! under Miri.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use picoring::mirror::MirrorOptions;
use picoring::spsc::{Consumer, Producer};
use picoring::{PicoQueue, PicoRing};

mod common;
use common::{backends, Rng};

/// How many times each counted value was dropped, by id.
#[derive(Clone, Default)]
struct DropLog(Arc<Mutex<Vec<u32>>>);

impl DropLog {
    fn make(&self, value: u64) -> Counted {
        let mut counts = self.0.lock().unwrap();
        counts.push(0);
        Counted {
            id: counts.len() - 1,
            value: Box::new(value),
            log: self.clone(),
        }
    }

    fn assert_each_dropped_once(&self) {
        let counts = self.0.lock().unwrap();
        for (id, &n) in counts.iter().enumerate() {
            assert_eq!(n, 1, "value {id} dropped {n} times");
        }
    }
}

/// A value owning a heap allocation that records its drop.
struct Counted {
    id: usize,
    value: Box<u64>,
    log: DropLog,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.log.0.lock().unwrap()[self.id] += 1;
    }
}

/// An element type whose value can be replaced through a shared reference.
trait Element: Sized + Send {
    fn new(log: &DropLog, value: u64) -> Self;
    /// Replaces the value through `&self`, dropping (and freeing) the old one.
    fn set(&self, log: &DropLog, value: u64);
    /// The current value, read through `&self`.
    fn value(&self) -> u64;
}

impl Element for Cell<Option<Box<Counted>>> {
    fn new(log: &DropLog, value: u64) -> Self {
        Cell::new(Some(Box::new(log.make(value))))
    }
    fn set(&self, log: &DropLog, value: u64) {
        drop(self.replace(Some(Box::new(log.make(value)))));
    }
    fn value(&self) -> u64 {
        let boxed = self.take();
        let value = *boxed.as_ref().expect("a value is stored").value;
        self.set(boxed);
        value
    }
}

impl Element for RefCell<Vec<Counted>> {
    fn new(log: &DropLog, value: u64) -> Self {
        RefCell::new(vec![log.make(value)])
    }
    fn set(&self, log: &DropLog, value: u64) {
        // A new, longer vector: the old buffer is freed.
        *self.borrow_mut() = vec![log.make(value), log.make(!value)];
    }
    fn value(&self) -> u64 {
        *self.borrow()[0].value
    }
}

impl Element for Mutex<Vec<Counted>> {
    fn new(log: &DropLog, value: u64) -> Self {
        Mutex::new(vec![log.make(value)])
    }
    fn set(&self, log: &DropLog, value: u64) {
        *self.lock().unwrap() = vec![log.make(value), log.make(!value)];
    }
    fn value(&self) -> u64 {
        *self.lock().unwrap()[0].value
    }
}

impl Element for AtomicU64 {
    fn new(_: &DropLog, value: u64) -> Self {
        AtomicU64::new(value)
    }
    fn set(&self, _: &DropLog, value: u64) {
        self.store(value, Ordering::Relaxed);
    }
    fn value(&self) -> u64 {
        self.load(Ordering::Relaxed)
    }
}

/// An element of 256 bytes, so a 4 KiB page holds 16 of them: the rings wrap after a few
/// operations (and Miri gets through them quickly).
#[repr(align(256))]
struct Wide<E>(E);

impl<E: Element> Element for Wide<E> {
    fn new(log: &DropLog, value: u64) -> Self {
        Wide(E::new(log, value))
    }
    fn set(&self, log: &DropLog, value: u64) {
        self.0.set(log, value)
    }
    fn value(&self) -> u64 {
        self.0.value()
    }
}

/// How many elements the fixed scenarios queue across the physical end (the first two before it).
const WRAPPED: usize = 6;

/// Leaves `WRAPPED` queued elements (values `100..`) starting two slots before the physical end
/// of the empty `cap`-slot ring `q`, so all but the first two lie past it, using the ring's own
/// `push` and `consume`.
fn wrap<Q, E: Element>(
    q: &mut Q,
    log: &DropLog,
    cap: usize,
    push: fn(&mut Q, E) -> bool,
    consume: fn(&mut Q, usize) -> usize,
) {
    assert!(cap >= WRAPPED);
    for i in 0..cap - 2 {
        assert!(push(q, E::new(log, i as u64)));
    }
    assert_eq!(consume(q, cap - 2), cap - 2);
    for i in 0..WRAPPED {
        assert!(push(q, E::new(log, 100 + i as u64)));
    }
}

/// A ring wrapped as [`wrap`] leaves it.
fn wrapped_ring<E: Element>(log: &DropLog, options: &MirrorOptions) -> PicoRing<E> {
    let mut ring = PicoRing::<E>::with_options(1, options).unwrap();
    let cap = ring.capacity();
    wrap(
        &mut ring,
        log,
        cap,
        |r, e| r.push(e).is_ok(),
        PicoRing::consume,
    );
    ring
}

/// Runs `scenario` on a ring wrapped as [`wrap`] leaves it, on every backend, then drops the
/// ring: every element made must then have been dropped exactly once.
fn each_wrapped_ring<E: Element>(scenario: impl Fn(&mut PicoRing<E>, &DropLog)) {
    for options in backends() {
        let log = DropLog::default();
        let mut ring = wrapped_ring::<E>(&log, &options);
        scenario(&mut ring, &log);
        drop(ring);
        log.assert_each_dropped_once();
    }
}

/// The shared accessors of `PicoRing`, each giving element `i`.
type Accessor<E> = fn(&PicoRing<E>, usize) -> &E;

fn accessors<E>() -> [(&'static str, Accessor<E>); 6] {
    [
        ("readable", |r, i| &r.readable()[i]),
        ("get", |r, i| r.get(i).unwrap()),
        ("iter", |r, i| r.iter().nth(i).unwrap()),
        ("into_iter", |r, i| r.into_iter().nth(i).unwrap()),
        ("front", |r, i| {
            assert_eq!(i, 0);
            r.front().unwrap()
        }),
        ("back", |r, i| {
            assert_eq!(i, r.len() - 1);
            r.back().unwrap()
        }),
    ]
}

/// Changes every wrapped element through each shared accessor, then takes them out by `pop`
/// (the head crosses the physical end after two): each pop returns the changed value.
fn ring_pop_sees_changes<E: Element>() {
    for (name, get) in accessors::<E>() {
        each_wrapped_ring(|ring: &mut PicoRing<E>, log| {
            for i in 0..WRAPPED {
                let i = match name {
                    "front" => 0,
                    "back" => ring.len() - 1,
                    _ => i,
                };
                get(ring, i).set(log, 200 + i as u64);
            }
            for i in 0..WRAPPED {
                let expected = match name {
                    "front" => 200 * u64::from(i == 0) + 100 * u64::from(i != 0) + i as u64,
                    "back" => {
                        if i == WRAPPED - 1 {
                            200 + i as u64
                        } else {
                            100 + i as u64
                        }
                    }
                    _ => 200 + i as u64,
                };
                let element = ring.pop().unwrap();
                assert_eq!(element.value(), expected, "{name}, element {i}");
            }
            assert!(ring.pop().is_none());
        });
    }
}

/// Changes the wrapped elements through `readable`, then `consume`s across the physical end,
/// looks again, changes them again, and drops the ring with the rest still queued.
fn ring_consume_and_drop_see_changes<E: Element>() {
    each_wrapped_ring(|ring: &mut PicoRing<E>, log| {
        for (i, element) in ring.readable().iter().enumerate() {
            element.set(log, 200 + i as u64);
        }
        assert_eq!(ring.consume(3), 3);
        let seen: Vec<u64> = ring.iter().map(E::value).collect();
        assert_eq!(seen, [203, 204, 205]);
        for (i, element) in ring.readable().iter().enumerate() {
            element.set(log, 300 + i as u64);
        }
        assert_eq!(ring.front().unwrap().value(), 300);
    });
}

/// The same through `push_overwrite` evictions, `readable_mut` and `clear`.
fn ring_other_mut_paths_see_changes<E: Element>() {
    each_wrapped_ring(|ring: &mut PicoRing<E>, log| {
        let cap = ring.capacity();
        for (i, element) in ring.iter().enumerate() {
            element.set(log, 200 + i as u64);
        }
        // Fill up, then evict the wrapped elements one by one: each eviction returns the change.
        while !ring.is_full() {
            assert!(ring.push(E::new(log, 0)).is_ok());
        }
        for i in 0..WRAPPED {
            let evicted = ring.push_overwrite(E::new(log, 0)).unwrap();
            assert_eq!(evicted.value(), 200 + i as u64);
        }
        assert_eq!(ring.len(), cap);
        // Back to two slots before the physical end with six queued; six more go past it.
        assert_eq!(ring.consume(cap - 6), cap - 6);
        for i in 0..WRAPPED {
            assert!(ring.push(E::new(log, 0)).is_ok());
            let last = ring.len() - 1;
            ring.get(last).unwrap().set(log, 400 + i as u64);
        }
        ring.readable_mut()[0] = E::new(log, 7);
        assert_eq!(ring.pop().unwrap().value(), 7);
        // Across the physical end.
        assert_eq!(ring.consume(5), 5);
        let seen: Vec<u64> = ring.iter().map(E::value).collect();
        assert_eq!(seen, [400, 401, 402, 403, 404, 405]);
        ring.clear();
        assert!(ring.is_empty());
    });
}

/// `PicoQueue::readable` (and `as_ring`) over wrapped elements, then `pop` and `consume`.
fn queue_sees_changes<E: Element>() {
    for options in backends() {
        let log = DropLog::default();
        let mut queue = PicoQueue::<E>::with_options(1, &options).unwrap();
        let cap = queue.capacity();
        wrap(
            &mut queue,
            &log,
            cap,
            |q, e| q.push(e).is_ok(),
            PicoQueue::consume,
        );
        for (i, element) in queue.readable().iter().enumerate() {
            element.set(&log, 200 + i as u64);
        }
        queue.as_ring().back().unwrap().set(&log, 999);
        for i in 0..3 {
            assert_eq!(queue.pop().unwrap().value(), 200 + i);
        }
        let seen: Vec<u64> = queue.readable().iter().map(E::value).collect();
        assert_eq!(seen, [203, 204, 999]);
        assert_eq!(queue.consume(2), 2);
        assert_eq!(queue.pop().unwrap().value(), 999);
        drop(queue);
        log.assert_each_dropped_once();
    }
}

/// The SPSC consumer's `readable` and `readable_at_least` over wrapped elements, then `pop`,
/// `consume` and dropping both ends.
fn spsc_sees_changes<E: Element>() {
    for options in backends() {
        for drop_with_queued in [false, true] {
            let log = DropLog::default();
            let mut ends = PicoRing::<E>::with_options(1, &options).unwrap().split();
            let cap = ends.0.capacity();
            // The producer pushes and the consumer consumes, as two threads would.
            wrap(
                &mut ends,
                &log,
                cap,
                |(tx, _), e| tx.push(e).is_ok(),
                |(_, rx), n| rx.consume(n),
            );
            let (mut tx, mut rx) = ends;
            for (i, element) in rx.readable().iter().enumerate() {
                element.set(&log, 200 + i as u64);
            }
            // Once more from one slot further on: still past the end, same elements.
            assert_eq!(rx.pop().unwrap().value(), 200);
            let view = rx.readable_at_least(2).unwrap();
            view[1].set(&log, 301);
            assert_eq!(view[0].value(), 201);
            // The producer fills the free space meanwhile (its slots, not the queued ones).
            while tx.push(E::new(&log, 0)).is_ok() {}
            // The head crosses the physical end here.
            assert_eq!(rx.pop().unwrap().value(), 201);
            assert_eq!(rx.pop().unwrap().value(), 301);
            if drop_with_queued {
                rx.readable()[0].set(&log, 403);
                drop(tx);
                drop(rx);
            } else {
                assert_eq!(rx.consume(1), 1);
                assert_eq!(rx.pop().unwrap().value(), 204);
                let rest: Vec<u64> = rx.readable().iter().map(E::value).collect();
                assert_eq!(rest[0], 205);
                assert_eq!(rest.len(), cap - 4);
                drop(rx);
                drop(tx);
            }
            log.assert_each_dropped_once();
        }
    }
}

/// Changes made through a `PicoRing` view before `split` are what the consumer then pops,
/// after its head crosses the physical end.
fn split_sees_changes<E: Element>() {
    for options in backends() {
        let log = DropLog::default();
        let ring = wrapped_ring::<E>(&log, &options);
        for (i, element) in ring.iter().enumerate() {
            element.set(&log, 200 + i as u64);
        }
        let (tx, mut rx) = ring.split();
        for i in 0..WRAPPED as u64 {
            assert_eq!(rx.pop().unwrap().value(), 200 + i);
        }
        assert!(rx.pop().is_none());
        drop((tx, rx));
        log.assert_each_dropped_once();
    }
}

/// A ring under the random model: one [`PicoRing`] or both ends of a split one, holding
/// [`Wide`] elements.
trait ModelRing<E: Element> {
    /// How many kinds of operation [`run_model`] draws from: 7 with `push_overwrite`, else 5.
    const OPS: usize;
    fn push(&mut self, value: Wide<E>) -> Result<(), Wide<E>>;
    fn pop(&mut self) -> Option<Wide<E>>;
    fn consume(&mut self, n: usize) -> usize;
    /// Queued element `i`, through a shared accessor `rng` picks.
    fn element(&mut self, i: usize, rng: &mut Rng) -> &Wide<E>;
    /// Only where `OPS` is 7.
    fn push_overwrite(&mut self, value: Wide<E>) -> Option<Wide<E>>;
    /// The queued values, front to back.
    fn values(&mut self) -> Vec<u64>;
}

impl<E: Element> ModelRing<E> for PicoRing<Wide<E>> {
    const OPS: usize = 7;
    fn push(&mut self, value: Wide<E>) -> Result<(), Wide<E>> {
        PicoRing::push(self, value)
    }
    fn pop(&mut self) -> Option<Wide<E>> {
        PicoRing::pop(self)
    }
    fn consume(&mut self, n: usize) -> usize {
        PicoRing::consume(self, n)
    }
    fn element(&mut self, i: usize, rng: &mut Rng) -> &Wide<E> {
        match rng.below(3) {
            0 => &self.readable()[i],
            1 => self.get(i).unwrap(),
            _ => self.iter().nth(i).unwrap(),
        }
    }
    fn push_overwrite(&mut self, value: Wide<E>) -> Option<Wide<E>> {
        PicoRing::push_overwrite(self, value)
    }
    fn values(&mut self) -> Vec<u64> {
        self.iter().map(Element::value).collect()
    }
}

/// Both SPSC ends in one thread; elements change through the consumer's views.
impl<E: Element> ModelRing<E> for (Producer<Wide<E>>, Consumer<Wide<E>>) {
    const OPS: usize = 5;
    fn push(&mut self, value: Wide<E>) -> Result<(), Wide<E>> {
        self.0.push(value)
    }
    fn pop(&mut self) -> Option<Wide<E>> {
        self.1.pop()
    }
    fn consume(&mut self, n: usize) -> usize {
        self.1.consume(n)
    }
    fn element(&mut self, i: usize, rng: &mut Rng) -> &Wide<E> {
        if rng.below(2) == 0 {
            &self.1.readable()[i]
        } else {
            &self.1.readable_at_least(i + 1).unwrap()[i]
        }
    }
    fn push_overwrite(&mut self, _: Wide<E>) -> Option<Wide<E>> {
        unreachable!("the split ends have no push_overwrite (OPS is 5)")
    }
    fn values(&mut self) -> Vec<u64> {
        self.1.readable().iter().map(Element::value).collect()
    }
}

/// Random operations on `ring` (of `Wide` elements, 8-slot capacity), changing elements
/// through every shared accessor, checked against a `VecDeque` of the values after each step;
/// then drops the ring and checks every element was dropped once.
fn run_model<E: Element, R: ModelRing<E>>(seed: u64, log: &DropLog, mut ring: R, cap: usize) {
    let mut model = VecDeque::new();
    let mut rng = Rng::new(seed);
    let mut next = 0u64;
    let steps = if cfg!(miri) { 120 } else { 3000 };
    for _ in 0..steps {
        next += 1;
        match rng.below(R::OPS) {
            0 | 1 => match ring.push(Wide::new(log, next)) {
                Ok(()) => model.push_back(next),
                Err(refused) => {
                    assert_eq!(model.len(), cap);
                    drop(refused);
                }
            },
            2 => assert_eq!(ring.pop().map(|e| e.value()), model.pop_front()),
            3 => {
                let n = rng.below(cap + 1);
                let done = ring.consume(n);
                assert_eq!(done, n.min(model.len()));
                model.drain(..done);
            }
            4 | 5 if !model.is_empty() => {
                let i = rng.below(model.len());
                ring.element(i, &mut rng).set(log, next);
                model[i] = next;
            }
            6 => {
                let evicted = ring.push_overwrite(Wide::new(log, next));
                let expected = (model.len() == cap).then(|| model.pop_front().unwrap());
                assert_eq!(evicted.map(|e| e.value()), expected);
                model.push_back(next);
            }
            _ => {}
        }
        assert!(ring.values().iter().eq(model.iter()));
    }
    drop(ring);
    log.assert_each_dropped_once();
}

fn ring_model<E: Element>(seed: u64) {
    for options in backends() {
        let log = DropLog::default();
        let ring = PicoRing::<Wide<E>>::with_options(1, &options).unwrap();
        let cap = ring.capacity();
        assert_eq!(cap, picoring::mirror::granularity() / 256);
        run_model(seed, &log, ring, cap);
    }
}

fn spsc_model<E: Element>(seed: u64) {
    for options in backends() {
        let log = DropLog::default();
        let ends = PicoRing::<Wide<E>>::with_options(1, &options)
            .unwrap()
            .split();
        let cap = ends.0.capacity();
        run_model(seed, &log, ends, cap);
    }
}

type CellBox = Cell<Option<Box<Counted>>>;
type RefCellVec = RefCell<Vec<Counted>>;
type MutexVec = Mutex<Vec<Counted>>;

macro_rules! for_each_element {
    ($($name:ident => $scenario:ident;)*) => { $(
        mod $name {
            use super::*;

            element_tests! {
                $scenario:
                cell_option_box => CellBox,
                refcell_vec => RefCellVec,
                mutex_vec => MutexVec,
                atomic_u64 => AtomicU64,
            }
        }
    )* };
}

/// One test per element type running `$scenario` on it: wide elements (a ring of 16)
/// everywhere; the plain, small ones (a ring of several hundred) too, outside Miri.
macro_rules! element_tests {
    ($scenario:ident: $($test:ident => $ty:ty,)*) => { $(
        #[test]
        fn $test() {
            $scenario::<Wide<$ty>>();
            if !cfg!(miri) {
                $scenario::<$ty>();
            }
        }
    )* };
}

for_each_element! {
    ring_pop => ring_pop_sees_changes;
    ring_consume_drop => ring_consume_and_drop_see_changes;
    ring_other_mut_paths => ring_other_mut_paths_see_changes;
    queue => queue_sees_changes;
    spsc => spsc_sees_changes;
    split => split_sees_changes;
}

/// One test per (model, element type, seed).
macro_rules! model_tests {
    ($($test:ident => $model:ident::<$ty:ty>($seed:expr);)*) => { $(
        #[test]
        fn $test() {
            $model::<$ty>($seed);
        }
    )* };
}

model_tests! {
    ring_model_cell => ring_model::<CellBox>(1);
    ring_model_mutex => ring_model::<MutexVec>(2);
    ring_model_atomic => ring_model::<AtomicU64>(3);
    spsc_model_refcell => spsc_model::<RefCellVec>(4);
    spsc_model_cell => spsc_model::<CellBox>(5);
}
