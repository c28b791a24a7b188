//! Model-based randomized test of `PicoList`'s editing methods (insert, remove, drain, retain,
//! dedup, splice, replace_range, extend_from_within, split_off, resize) against `Vec`, with an
//! element type that counts its live values and owns a heap allocation (a double drop is a
//! double free, which Miri and the allocator catch), and closures, clones and iterators that
//! panic part way: after each operation the list must equal the model and hold exactly the
//! values that are alive.
//!
//! A failing run prints its seed; rerun it with
//! `PICORING_SEED=<seed> cargo test -p picoring --test list_edit`.
//! Under Miri (`cargo +nightly miri test -p picoring --test list_edit`) the runs are shorter.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use picoring::PicoList;

mod common;
use common::Rng;

thread_local! {
    /// Values made minus values dropped, on this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// Clones left before one panics (`usize::MAX`: never).
    static CLONES_LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
}

const PLANNED: &str = "planned panic";

fn live() -> isize {
    LIVE.with(Cell::get)
}

#[derive(Debug)]
struct E(Box<u32>);

impl E {
    fn new(v: u32) -> E {
        LIVE.with(|n| n.set(n.get() + 1));
        E(Box::new(v))
    }
}

impl Clone for E {
    fn clone(&self) -> E {
        let left = CLONES_LEFT.with(Cell::get);
        if left == 0 {
            panic!("{PLANNED}");
        }
        if left != usize::MAX {
            CLONES_LEFT.with(|c| c.set(left - 1));
        }
        E::new(*self.0)
    }
}

impl Drop for E {
    fn drop(&mut self) {
        LIVE.with(|n| n.set(n.get() - 1));
    }
}

impl PartialEq for E {
    fn eq(&self, other: &E) -> bool {
        self.0 == other.0
    }
}

/// Runs `f`, expecting either success or the planned panic.
fn planned<T>(f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            assert_eq!(msg, Some(PLANNED), "an unplanned panic");
            None
        }
    }
}

/// Silences the planned panics' messages (others are printed as usual).
fn quiet_planned_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let planned = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m == PLANNED);
        if !planned {
            default(info);
        }
    }));
}

/// A random range within `0..=len`.
fn range(rng: &mut Rng, len: usize) -> (usize, usize) {
    let a = rng.below(len + 1);
    let b = rng.below(len + 1);
    (a.min(b), a.max(b))
}

/// After `step` op(s): panics may be planned at the `k`-th call of a closure (`None`: never).
fn maybe_panic_at(rng: &mut Rng, len: usize) -> Option<usize> {
    (rng.below(4) == 0).then(|| rng.below(len + 2))
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut list = PicoList::<E>::new().unwrap();
    let mut model: Vec<E> = Vec::new();
    let ctx = |step: usize, op: &str| {
        format!("seed {seed:#x}, step {step}, op {op} (rerun with PICORING_SEED={seed:#x})")
    };
    for step in 0..steps {
        let len = model.len();
        let op = rng.below(15);
        let name = match op {
            0 => {
                let v = rng.next() as u32 % 8;
                list.push(E::new(v)).unwrap();
                model.push(E::new(v));
                "push"
            }
            1 => {
                let (i, v) = (rng.below(len + 1), rng.next() as u32 % 8);
                list.insert(i, E::new(v)).unwrap();
                model.insert(i, E::new(v));
                "insert"
            }
            2 if len > 0 => {
                let i = rng.below(len);
                assert!(list.remove(i) == model.remove(i), "{}", ctx(step, "remove"));
                "remove"
            }
            3 if len > 0 => {
                let i = rng.below(len);
                assert!(list.swap_remove(i) == model.swap_remove(i));
                "swap_remove"
            }
            4 => {
                let (a, b) = range(&mut rng, len);
                let (front, back) = (rng.below(b - a + 1), rng.below(3));
                let mut d = list.drain(a..b);
                let mut m = model.drain(a..b);
                for _ in 0..front {
                    assert!(d.next() == m.next());
                }
                for _ in 0..back {
                    assert!(d.next_back() == m.next_back());
                }
                assert_eq!(d.len(), m.len());
                "drain"
            }
            5 => {
                let bound = rng.next() as u32 % 8;
                let at = maybe_panic_at(&mut rng, len);
                let keep = |calls: &mut usize, x: &E| {
                    *calls += 1;
                    if Some(*calls) == at {
                        panic!("{PLANNED}");
                    }
                    *x.0 < bound
                };
                let mut calls = 0;
                let a = planned(|| list.retain(|x| keep(&mut calls, x)));
                let mut calls = 0;
                let b = planned(|| model.retain(|x| keep(&mut calls, x)));
                assert_eq!(a.is_some(), b.is_some());
                "retain"
            }
            6 => {
                let modulus = 1 + rng.next() as u32 % 4;
                let at = maybe_panic_at(&mut rng, len);
                let same = |calls: &mut usize, x: &mut E, y: &mut E| {
                    *calls += 1;
                    if Some(*calls) == at {
                        panic!("{PLANNED}");
                    }
                    *x.0 % modulus == *y.0 % modulus
                };
                let mut calls = 0;
                let a = planned(|| list.dedup_by(|x, y| same(&mut calls, x, y)));
                let mut calls = 0;
                let b = planned(|| model.dedup_by(|x, y| same(&mut calls, x, y)));
                assert_eq!(a.is_some(), b.is_some());
                "dedup_by"
            }
            7 => {
                let (a, b) = range(&mut rng, len);
                let at = maybe_panic_at(&mut rng, b - a);
                CLONES_LEFT.with(|c| c.set(at.unwrap_or(usize::MAX)));
                let r1 = planned(|| list.extend_from_within(a..b).unwrap());
                CLONES_LEFT.with(|c| c.set(at.unwrap_or(usize::MAX)));
                let r2 = planned(|| model.extend_from_within(a..b));
                CLONES_LEFT.with(|c| c.set(usize::MAX));
                assert_eq!(r1.is_some(), r2.is_some());
                "extend_from_within"
            }
            8 => {
                let (a, b) = range(&mut rng, len);
                let items: Vec<E> = (0..rng.below(6)).map(|v| E::new(v as u32)).collect();
                let at = maybe_panic_at(&mut rng, items.len());
                CLONES_LEFT.with(|c| c.set(at.unwrap_or(usize::MAX)));
                let done = planned(|| list.replace_range(a..b, &items).unwrap());
                CLONES_LEFT.with(|c| c.set(usize::MAX));
                // On a panic, the clones made so far stay in place of the range.
                let made = if done.is_some() {
                    items.len()
                } else {
                    at.unwrap()
                };
                model.splice(a..b, items[..made].iter().cloned());
                "replace_range"
            }
            9 => {
                let (a, b) = range(&mut rng, len);
                let n = rng.below(6);
                let at = maybe_panic_at(&mut rng, n);
                let items = move || {
                    (0..n).map(move |v| {
                        if Some(v) == at {
                            panic!("{PLANNED}");
                        }
                        E::new(v as u32)
                    })
                };
                let removed = planned(|| list.splice(a..b, items()).unwrap().collect::<Vec<_>>());
                // A panicking iterator leaves the list unchanged.
                if let Some(removed) = removed {
                    let expected: Vec<E> = model.splice(a..b, items()).collect();
                    assert!(removed == expected, "{}", ctx(step, "splice"));
                }
                "splice"
            }
            10 => {
                let at = rng.below(len + 1);
                let mut rest = list.split_off(at).unwrap();
                let model_rest = model.split_off(at);
                assert!(
                    rest.as_slice() == &model_rest[..],
                    "{}",
                    ctx(step, "split_off")
                );
                list.try_extend(rest.drain(..)).unwrap();
                model.extend(model_rest);
                "split_off"
            }
            11 => {
                let n = rng.below(len + 4);
                let v = rng.next() as u32 % 8;
                list.resize(n, E::new(v)).unwrap();
                model.resize(n, E::new(v));
                "resize"
            }
            12 => {
                let n = rng.below(len + 1);
                list.truncate(n);
                model.truncate(n);
                "truncate"
            }
            13 => {
                list.reverse();
                model.reverse();
                "reverse"
            }
            _ => {
                assert!(list.pop() == model.pop());
                "pop"
            }
        };
        assert!(list.as_slice() == &model[..], "{}", ctx(step, name));
        assert_eq!(live(), 2 * model.len() as isize, "{}", ctx(step, name));
    }
    drop(list);
    drop(model);
    assert_eq!(live(), 0, "seed {seed:#x}");
}

#[test]
fn edits_match_vec() {
    quiet_planned_panics();
    let (seeds, steps) = if cfg!(miri) { (3, 150) } else { (200, 600) };
    match std::env::var("PICORING_SEED") {
        Ok(seed) => run(
            u64::from_str_radix(seed.trim_start_matches("0x"), 16).unwrap(),
            steps,
        ),
        Err(_) => {
            for i in 0..seeds {
                run(
                    0x9e37_79b9_7f4a_7c15 ^ (i as u64).wrapping_mul(0x1000_0001),
                    steps,
                );
            }
        }
    }
}

#[test]
fn leaked_drain_leaks_and_never_drops_twice() {
    /// Counted like `E`, without a heap allocation (Miri would report the planned leak).
    struct Counted(#[allow(dead_code)] u8);
    impl Drop for Counted {
        fn drop(&mut self) {
            LIVE.with(|n| n.set(n.get() - 1));
        }
    }
    let mut list = PicoList::new().unwrap();
    for _ in 0..6 {
        LIVE.with(|n| n.set(n.get() + 1));
        list.push(Counted(0)).unwrap();
    }
    let mut drain = list.drain(1..3);
    drop(drain.next());
    std::mem::forget(drain);
    // The list is cut at the range's start; the rest (one drained, three after) is leaked.
    assert_eq!(list.len(), 1);
    assert_eq!(live(), 5);
    drop(list);
    assert_eq!(live(), 4);
    LIVE.with(|n| n.set(0));
}

#[test]
fn panicking_destructor_in_drain_drops_each_once() {
    struct Bomb(bool, Box<u8>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            LIVE.with(|n| n.set(n.get() - 1));
            if self.0 {
                panic!("{PLANNED}");
            }
        }
    }
    quiet_planned_panics();
    let mut list = PicoList::new().unwrap();
    for v in 0..6u8 {
        LIVE.with(|n| n.set(n.get() + 1));
        list.push(Bomb(v == 2, Box::new(v))).unwrap();
    }
    assert!(planned(|| drop(list.drain(1..4))).is_none());
    // 1, 2 (which panicked) and 3 were dropped; 4 and 5 moved back.
    assert_eq!(list.iter().map(|b| *b.1).collect::<Vec<_>>(), [0, 4, 5]);
    assert_eq!(live(), 3);
    drop(list);
    assert_eq!(live(), 0);
}
