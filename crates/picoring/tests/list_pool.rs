//! The per-thread pool of released list reservations: what it keeps, its bounds, and that a
//! list made from it looks like a new one.
//!
//! Each test runs in a thread of its own, whose pool starts empty, so that the other tests'
//! lists (and the harness's thread reuse) do not change what it finds.
#![cfg(all(any(unix, windows), not(miri)))] // the heap fallback has no pool

use std::thread;

use picoring::PicoList;

const KIB: usize = 1 << 10;

/// Runs `f` on a new thread (a fresh, empty pool) and returns its result.
fn on_fresh_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(f).join().expect("test thread panicked")
}

/// A default list holding `n` u64 values from `first` up.
fn filled(n: u64, first: u64) -> PicoList<u64> {
    let mut list = PicoList::new().unwrap();
    list.try_extend(first..first + n).unwrap();
    list
}

#[test]
fn a_reused_reservation_shows_nothing_of_the_old_list() {
    on_fresh_thread(|| {
        let fresh_max = PicoList::<u64>::new().unwrap().max_capacity();
        let old = filled(1000, 1_000_000);
        let addr = old.as_ptr();
        drop(old);
        let mut list = PicoList::<u64>::new().unwrap();
        assert!(list.is_empty());
        assert_eq!(
            list.capacity(),
            0,
            "nothing is taken before the first growth"
        );
        list.push(7).unwrap();
        assert_eq!(list.as_ptr(), addr, "the pooled reservation is reused");
        assert_eq!(list.as_slice(), &[7]);
        assert_eq!(list.max_capacity(), fresh_max);
        assert!(list.capacity() >= 1000, "its committed pages come with it");
        // It grows on past what was committed, like a new list.
        list.try_extend(0..100_000).unwrap();
        assert_eq!(list.len(), 100_001);
        assert_eq!(list[100_000], 99_999);
        assert_eq!(list.as_ptr(), addr);
        // Past 256 KiB committed it is not pooled again.
        drop(list);
        assert_eq!(PicoList::<u64>::trim_pool(), 0);
    });
}

#[test]
fn reuse_against_a_model() {
    on_fresh_thread(|| {
        // Lists of varied lengths and element types, dropped and recreated: each new one holds
        // exactly what was pushed into it.
        let mut held: Vec<PicoList<u64>> = Vec::new();
        for round in 0..200u64 {
            let n = (round * 37) % 3000;
            let list = filled(n, round << 32);
            assert_eq!(list.len() as u64, n);
            assert!(list.iter().copied().eq((round << 32)..(round << 32) + n));
            if round % 3 == 0 {
                held.push(list);
            }
            if held.len() > 5 {
                held.remove(0);
            }
            let mut bytes = PicoList::<u8>::new().unwrap();
            bytes.extend_from_slice(b"abc").unwrap();
            assert_eq!(bytes.as_slice(), b"abc");
        }
        for (i, list) in held.iter().enumerate() {
            let first = list.first().copied().unwrap_or(0);
            assert!(
                list.iter().copied().eq(first..first + list.len() as u64),
                "list {i}"
            );
        }
    });
}

#[test]
fn the_pool_is_bounded_by_count_and_committed_bytes() {
    on_fresh_thread(|| {
        // Twenty small lists (one 64 KiB commit each): eight are kept.
        let lists: Vec<_> = (0..20).map(|i| filled(10, i)).collect();
        drop(lists);
        assert_eq!(PicoList::<u64>::trim_pool(), 8);
        assert_eq!(PicoList::<u64>::trim_pool(), 0);

        // About 200 KiB committed each: as many as fit in 1 MiB are kept.
        let lists: Vec<_> = (0..8).map(|i| filled(200 * KIB as u64 / 8, i)).collect();
        let committed = lists[0].capacity() * 8;
        assert!(committed <= 256 * KIB);
        assert!(lists.iter().all(|l| l.capacity() * 8 == committed));
        drop(lists);
        assert_eq!(PicoList::<u64>::trim_pool(), (1 << 20) / committed);

        // More than 256 KiB committed: not kept.
        drop(filled(300 * KIB as u64 / 8, 0));
        assert_eq!(PicoList::<u64>::trim_pool(), 0);

        // Empty lists hold no reservation.
        drop(PicoList::<u64>::new().unwrap());
        assert_eq!(PicoList::<u64>::trim_pool(), 0);
    });
}

#[test]
fn exact_reservations_are_never_pooled_nor_given_a_pooled_one() {
    on_fresh_thread(|| {
        let mut exact = PicoList::<u64>::with_max_capacity(1000).unwrap();
        exact.push(1).unwrap();
        drop(exact);
        assert_eq!(PicoList::<u64>::trim_pool(), 0);

        drop(filled(10, 0));
        let mut exact = PicoList::<u64>::with_max_capacity(1000).unwrap();
        exact.push(1).unwrap();
        assert_eq!(exact.max_capacity(), 1000);
        assert_eq!(
            PicoList::<u64>::trim_pool(),
            1,
            "the default one stays pooled"
        );
    });
}

#[test]
fn a_huge_page_hint_keeps_a_reservation_out_of_the_pool() {
    on_fresh_thread(|| {
        let mut list = filled(10, 0);
        let taken = list.set_huge_pages(true);
        drop(list);
        assert_eq!(PicoList::<u64>::trim_pool(), usize::from(!taken));
    });
}

#[test]
fn a_list_goes_to_the_pool_of_the_thread_that_drops_it() {
    on_fresh_thread(|| {
        let list = filled(10, 0);
        let addr = list.as_ptr() as usize;
        let reused = on_fresh_thread(move || {
            drop(list);
            let again = filled(1, 5);
            again.as_ptr() as usize
        });
        assert_eq!(reused, addr, "the dropping thread reused it");
        // The other thread's pool was released when it exited; this one never held it.
        assert_eq!(PicoList::<u64>::trim_pool(), 0);
    });
}

#[test]
fn element_types_share_one_pool() {
    on_fresh_thread(|| {
        let mut bytes = PicoList::<u8>::new().unwrap();
        bytes.extend_from_slice(&[0xAB; 5000]).unwrap();
        let addr = bytes.as_ptr() as usize;
        drop(bytes);
        let words = filled(3, 1);
        assert_eq!(words.as_ptr() as usize, addr);
        assert_eq!(words.as_slice(), &[1, 2, 3]);
    });
}
