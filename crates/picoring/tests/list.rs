//! PicoList against a `Vec` model, plus the properties a `Vec` does not have: a pointer that
//! never moves, memory given back on truncate, and exhaustion as an error.

use std::cell::Cell;
use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use picoring::{Error, PicoList};

mod common;
#[cfg(target_os = "linux")]
use common::resident_bytes;
use common::Rng;

/// Applies the same random operations to a PicoList and a Vec (limited to `max` elements when
/// given) and compares them after each one.
fn run_model<T, F>(seed: u64, steps: usize, max: Option<usize>, big: usize, make: F)
where
    T: Clone + PartialEq + Debug,
    F: Fn(u64) -> T,
{
    let mut rng = Rng::new(seed);
    let mut list = match max {
        Some(max) => PicoList::<T>::with_max_capacity(max).unwrap(),
        None => PicoList::<T>::new().unwrap(),
    };
    let limit = list.max_capacity();
    let mut model: Vec<T> = Vec::new();
    for _ in 0..steps {
        match rng.below(12) {
            0..=2 => {
                let v = make(rng.next());
                let fits = model.len() < limit;
                match list.try_push(v.clone()) {
                    Ok(()) => {
                        assert!(fits);
                        model.push(v);
                    }
                    Err((back, err)) => {
                        assert!(!fits);
                        assert_eq!(back, v);
                        assert!(matches!(err, Error::ReservationExhausted { .. }));
                    }
                }
            }
            3 => assert_eq!(list.pop(), model.pop()),
            4 => {
                let n = if rng.below(8) == 0 {
                    big
                } else {
                    rng.below(64)
                };
                let items: Vec<T> = (0..n).map(|_| make(rng.next())).collect();
                let fits = model.len() + n <= limit;
                assert_eq!(list.extend_from_slice(&items).is_ok(), fits);
                if fits {
                    model.extend_from_slice(&items);
                }
            }
            5 => {
                let n = rng.below(40);
                let items: Vec<T> = (0..n).map(|_| make(rng.next())).collect();
                let result = list.try_extend(items.iter().cloned());
                let fit = n.min(limit - model.len());
                model.extend_from_slice(&items[..fit]);
                assert_eq!(result.is_ok(), fit == n);
            }
            6 => {
                let n = rng.below(model.len() + 2);
                list.truncate(n);
                model.truncate(n);
            }
            7 if rng.below(10) == 0 => {
                list.clear();
                model.clear();
            }
            8 => {
                let i = rng.below(model.len() + 2);
                let v = make(rng.next());
                match model.get_mut(i) {
                    Some(slot) => {
                        assert_eq!(list.set(i, v.clone()), Ok(std::mem::replace(slot, v)))
                    }
                    None => assert_eq!(list.set(i, v.clone()), Err(v)),
                }
            }
            9 => {
                let i = rng.below(model.len() + 2);
                assert_eq!(list.get(i), model.get(i));
                if let (Some(a), Some(b)) = (list.get_mut(i), model.first().cloned()) {
                    *a = b.clone();
                    model[i] = b;
                }
            }
            10 if rng.below(10) == 0 => list.shrink_to_fit(),
            _ => {
                if !model.is_empty() {
                    let i = rng.below(model.len());
                    assert_eq!(list[i], model[i]);
                    assert_eq!(list[i..], model[i..]);
                }
            }
        }
        assert_eq!(list.len(), model.len());
        assert!(list.len() <= list.capacity() && list.capacity() <= list.max_capacity());
        assert_eq!(list.is_empty(), model.is_empty());
        assert_eq!(list.as_slice(), model.as_slice());
    }
    assert!(list.iter().eq(model.iter()));
    assert_eq!(format!("{list:?}"), format!("{model:?}"));
}

/// Operation counts and bulk sizes: small under Miri, large enough natively to cross the 1 MiB
/// give-back threshold and several commit steps.
fn sizes() -> (usize, usize) {
    if cfg!(miri) {
        (200, 40)
    } else {
        (2000, 150_000)
    }
}

#[test]
fn model_u8() {
    let (steps, big) = sizes();
    for seed in 1..4 {
        run_model(seed, steps, None, big, |x| x as u8);
        run_model(seed, steps, Some(300), 100, |x| x as u8);
    }
}

#[test]
fn model_u64() {
    let (steps, big) = sizes();
    for seed in 11..14 {
        run_model(seed, steps, None, big, |x| x);
        run_model(seed, steps, Some(1000), 300, |x| x);
    }
}

#[test]
fn model_24_byte_elements_that_own_memory() {
    assert_eq!(std::mem::size_of::<String>(), 24);
    let (steps, big) = sizes();
    for seed in 21..23 {
        run_model(seed, steps, None, big / 8, |x| format!("{x:x}"));
        run_model(seed, steps, Some(200), 50, |x| x.to_string());
    }
}

#[test]
#[cfg_attr(miri, ignore = "needs the native backend: the heap fallback moves")]
fn pointer_never_moves_while_growing_to_10m_elements() {
    assert!(PicoList::<u8>::grows_in_place());
    let mut list = PicoList::<u8>::new().unwrap();
    let mut list64 = PicoList::<u64>::new().unwrap();
    // The address space is reserved at the first push; from then on the data never moves.
    list.push(0).unwrap();
    list64.push(0).unwrap();
    let start = list.as_ptr();
    let start64 = list64.as_ptr();
    let mut last_cap = 0;
    let mut growths = 0;
    for i in 1..10_000_000u64 {
        list.push(i as u8).unwrap();
        list64.push(i).unwrap();
        if list64.capacity() != last_cap {
            last_cap = list64.capacity();
            growths += 1;
            assert_eq!(list.as_ptr(), start);
            assert_eq!(list64.as_ptr(), start64);
        }
    }
    assert!(growths > 5, "the capacity should have grown several times");
    assert_eq!(list.as_ptr(), start);
    assert_eq!(list64.as_ptr(), start64);
    assert_eq!(list64[9_999_999], 9_999_999);
    assert_eq!(list[1000], (1000 % 256) as u8);
}

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(miri, ignore = "reads /proc and needs the native backend")]
fn physical_memory_tracks_length_and_truncate_gives_it_back() {
    for huge_pages in [false, true] {
        check_resident_memory(huge_pages);
    }
}

#[cfg(target_os = "linux")]
fn check_resident_memory(huge_pages: bool) {
    const LEN: usize = 50_000_000;
    let mut list = PicoList::<u8>::new().unwrap();
    list.set_huge_pages(huge_pages);
    let span = list.max_capacity();
    let chunk = vec![7u8; 1 << 16];
    while list.len() < LEN {
        let n = chunk.len().min(LEN - list.len());
        list.extend_from_slice(&chunk[..n]).unwrap();
    }
    let full = resident_bytes(list.as_ptr(), span);
    // Within 10% of the payload, not a power-of-two overshoot (64 MiB would be +34%).
    assert!(full >= LEN, "resident {full} < length {LEN}");
    assert!(
        full <= LEN + LEN / 10,
        "resident {full} for {LEN} bytes (huge pages: {huge_pages})"
    );

    list.truncate(1000);
    let after = resident_bytes(list.as_ptr(), span);
    assert!(
        after < 1 << 20,
        "resident {after} after truncating to 1000 bytes"
    );
    assert!(list[..1000].iter().all(|&b| b == 7));

    // The memory given back is usable again.
    list.extend_from_slice(&chunk).unwrap();
    assert_eq!(list.len(), 1000 + chunk.len());
    assert!(resident_bytes(list.as_ptr(), span) < 4 << 20);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "reads the committed size, which differs on the heap fallback"
)]
fn committed_memory_follows_the_length_in_capped_steps() {
    // 4 KiB elements: 130 MiB in 33,280 pushes.
    let mut list = PicoList::<[u64; 512]>::new().unwrap();
    for i in 0..33_280u64 {
        list.push([i; 512]).unwrap();
    }
    // Doubling would have committed 256 MiB; capped steps keep it within 64 MiB of the length.
    assert!(list.capacity() < 33_280 + (64 << 20) / 4096);
    assert_eq!(list[33_279][511], 33_279);
    list.truncate(100);
    assert!(list.capacity() < 1 << 9);
}

#[test]
fn exhaustion_is_an_error_and_the_list_still_works() {
    let mut list = PicoList::<u32>::with_max_capacity(1000).unwrap();
    assert_eq!(list.max_capacity(), 1000);
    for i in 0..1000 {
        list.push(i).unwrap();
    }
    let err = list.push(1000).unwrap_err();
    assert!(matches!(
        err,
        Error::ReservationExhausted { max_capacity: 1000 }
    ));
    assert_eq!(list.try_push(1001).unwrap_err().0, 1001);
    assert!(list.extend_from_slice(&[1, 2]).is_err());
    assert!(list.reserve(1).is_err());
    assert!(list.try_extend(0..5).is_err());
    assert_eq!(list.len(), 1000);
    assert_eq!(list[999], 999);

    assert_eq!(list.pop(), Some(999));
    list.push(42).unwrap();
    assert_eq!(list[999], 42);
    list.truncate(10);
    list.extend_from_slice(&[5; 990]).unwrap();
    assert_eq!(list.len(), 1000);
    assert_eq!(list.capacity(), 1000);
}

#[test]
fn extend_panics_instead_of_losing_items_and_keeps_what_fit() {
    let mut list = PicoList::<u16>::with_max_capacity(3).unwrap();
    let result = panic::catch_unwind(AssertUnwindSafe(|| list.extend([1u16, 2, 3, 4, 5])));
    assert!(result.is_err());
    assert_eq!(list.as_slice(), &[1, 2, 3]);
    list.pop();
    list.extend(&[9u16]);
    assert_eq!(list.as_slice(), &[1, 2, 9]);
}

#[test]
fn bad_types_and_sizes_are_errors() {
    assert!(matches!(PicoList::<()>::new(), Err(Error::ZeroSizedType)));
    assert!(matches!(
        PicoList::<[u8; 0]>::with_max_capacity(4),
        Err(Error::ZeroSizedType)
    ));
    assert!(matches!(
        PicoList::<u8>::with_max_capacity(0),
        Err(Error::ZeroCapacity)
    ));
    assert!(matches!(
        PicoList::<u64>::with_max_capacity(usize::MAX / 4),
        Err(Error::CapacityOverflow)
    ));
}

/// An element that counts its drops.
#[derive(Debug)]
struct Counted(Rc<Cell<usize>>, u32);

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted(self.0.clone(), self.1)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn every_element_is_dropped_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let item = |n| Counted(drops.clone(), n);
    let mut list = PicoList::with_max_capacity(100).unwrap();
    for i in 0..50 {
        list.push(item(i)).unwrap();
    }
    assert_eq!(drops.get(), 0);
    drop(list.pop());
    assert_eq!(drops.get(), 1);
    let old = list.set(0, item(100)).unwrap();
    assert_eq!(old.1, 0);
    drop(old);
    assert_eq!(drops.get(), 2);
    let refused = list.set(99, item(101)).unwrap_err();
    drop(refused);
    assert_eq!(drops.get(), 3);
    list.truncate(40); // drops 9
    assert_eq!(drops.get(), 12);
    let batch: Vec<Counted> = (0..61).map(item).collect();
    assert!(list.extend_from_slice(&batch).is_err()); // 40 + 61 > 100: nothing is cloned
    assert_eq!(list.len(), 40);
    list.extend_from_slice(&batch[..60]).unwrap();
    drop(batch);
    assert_eq!(drops.get(), 12 + 61);
    assert_eq!(list.len(), 100);
    let (back, _) = list.try_push(item(7)).unwrap_err();
    assert_eq!(drops.get(), 73);
    drop(back);
    assert_eq!(drops.get(), 74);
    list.clear();
    assert_eq!(drops.get(), 174);
    list.extend((0..5).map(item));
    drop(list);
    assert_eq!(drops.get(), 179);
}

#[test]
fn a_panicking_clone_leaves_a_consistent_list() {
    #[derive(Debug)]
    struct Fragile(Rc<Cell<usize>>, bool);
    impl Clone for Fragile {
        fn clone(&self) -> Self {
            assert!(!self.1, "clone refused");
            Fragile(self.0.clone(), self.1)
        }
    }
    impl Drop for Fragile {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let drops = Rc::new(Cell::new(0));
    let src = vec![
        Fragile(drops.clone(), false),
        Fragile(drops.clone(), false),
        Fragile(drops.clone(), true),
    ];
    let mut list = PicoList::new().unwrap();
    let result = panic::catch_unwind(AssertUnwindSafe(|| list.extend_from_slice(&src)));
    assert!(result.is_err());
    assert_eq!(
        list.len(),
        2,
        "the two clones made before the panic are kept"
    );
    drop(list);
    assert_eq!(drops.get(), 2);
    drop(src);
    assert_eq!(drops.get(), 5);
}

#[test]
fn lists_move_between_threads() {
    let mut list = PicoList::<u64>::new().unwrap();
    list.extend_from_slice(&[1, 2, 3]).unwrap();
    let handle = std::thread::spawn(move || list.iter().sum::<u64>());
    assert_eq!(handle.join().unwrap(), 6);
}
