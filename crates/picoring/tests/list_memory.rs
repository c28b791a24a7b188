//! What a PicoList costs the process: reserving ahead makes nothing resident, an empty list maps
//! nothing, and many lists leave the address space to the rest of the program.
#![cfg(not(miri))] // the native backend's mappings and /proc; the heap fallback has neither

use std::sync::Mutex;

use picoring::PicoList;

mod common;

/// The tests here share the process's address-space budget for lists: one at a time, so that
/// the many-lists test does not shrink the reservations the others make.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

const MIB: usize = 1 << 20;

/// Resident memory, read from `/proc/self/smaps`.
#[cfg(target_os = "linux")]
mod resident {
    use super::*;

    /// What reserving ahead may leave resident: a few pages, not the reservation.
    const SMALL: usize = 8 * MIB;

    /// Resident bytes of the list's whole reservation.
    fn resident<T>(list: &PicoList<T>) -> usize {
        common::resident_bytes(
            list.as_ptr().cast(),
            list.max_capacity() * std::mem::size_of::<T>(),
        )
    }

    #[test]
    fn reserve_commits_address_space_without_making_it_resident() {
        let _serial = one_at_a_time();
        let mut list = PicoList::<u8>::new().unwrap();
        list.reserve(512 * MIB).unwrap();
        assert!(list.capacity() >= 512 * MIB);
        let after_reserve = resident(&list);
        println!("resident after reserve(512 MiB): {after_reserve} bytes");
        assert!(
            after_reserve < SMALL,
            "reserve(512 MiB) made {after_reserve} bytes resident"
        );

        // Writing into the reservation makes resident what is written, plus a bounded batch.
        let chunk = vec![3u8; 64 << 10];
        while list.len() < 16 * MIB {
            list.extend_from_slice(&chunk).unwrap();
        }
        for _ in 0..1000 {
            list.push(4).unwrap();
        }
        let written = resident(&list);
        println!("resident after writing 16 MiB: {written} bytes");
        assert!(written >= 16 * MIB, "resident {written} below the length");
        assert!(
            written <= 16 * MIB + 4 * MIB,
            "resident {written} for 16 MiB written"
        );
        assert!(list[..16 * MIB].iter().all(|&b| b == 3));
        assert!(list[16 * MIB..].iter().all(|&b| b == 4));

        // The same for wider elements and a reservation made on a list that already holds data.
        let mut wide = PicoList::<u64>::new().unwrap();
        wide.extend_from_slice(&[1; 1000]).unwrap();
        wide.reserve(64 * MIB).unwrap();
        assert!(resident(&wide) < SMALL, "reserve(64 Mi u64)");
        assert_eq!(wide.iter().sum::<u64>(), 1000);
    }

    /// Claims a huge lower bound it does not meet: a contract violation that must cost nothing.
    struct LyingIterator {
        left: u32,
    }

    impl Iterator for LyingIterator {
        type Item = u8;

        fn next(&mut self) -> Option<u8> {
            self.left = self.left.checked_sub(1)?;
            Some(self.left as u8)
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            (512 * MIB, None)
        }
    }

    #[test]
    fn a_lying_size_hint_makes_nothing_resident() {
        let _serial = one_at_a_time();
        let mut list = PicoList::<u8>::new().unwrap();
        list.try_extend(LyingIterator { left: 10 }).unwrap();
        assert_eq!(list.as_slice(), &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        let after = resident(&list);
        println!("resident after try_extend with a 512 MiB size hint: {after} bytes");
        assert!(after < SMALL, "try_extend made {after} bytes resident");

        // Through Extend, and on a list that already holds a megabyte and more.
        list.extend_from_slice(&vec![1u8; 3 * MIB]).unwrap();
        list.extend(LyingIterator { left: 5 });
        assert_eq!(list.len(), 10 + 3 * MIB + 5);
        let after = resident(&list);
        assert!(
            after < 3 * MIB + SMALL,
            "extend made {after} bytes resident for {} bytes",
            list.len()
        );
    }
}

/// The number of memory mappings of this process.
#[cfg(target_os = "linux")]
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

/// Whether the program can still make an ordinary 256 MiB allocation (address space only: the
/// pages are never touched).
fn big_allocation_works() -> bool {
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(256 * MIB).is_ok()
}

#[test]
fn a_hundred_thousand_empty_lists_then_thousands_that_grow() {
    const EMPTY: usize = 100_000;
    const GROWN: usize = 3_000;
    let _serial = one_at_a_time();
    #[cfg(target_os = "linux")]
    let maps_before = mappings();

    // Empty lists map nothing, whatever their element type.
    let mut bytes = Vec::with_capacity(EMPTY / 2);
    let mut words = Vec::with_capacity(EMPTY / 2);
    for _ in 0..EMPTY / 2 {
        bytes.push(PicoList::<u8>::new().unwrap());
        words.push(PicoList::<u64>::new().unwrap());
    }
    #[cfg(target_os = "linux")]
    {
        let added = mappings().saturating_sub(maps_before);
        assert!(added < 100, "{EMPTY} empty lists added {added} mappings");
    }
    assert!(big_allocation_works(), "256 MiB after {EMPTY} empty lists");

    // Thousands of lists that hold data, more than the address space would hold at 64 GiB
    // each, still leave room for the program.
    let mut grown = Vec::with_capacity(GROWN);
    for (i, list) in bytes.iter_mut().take(GROWN).enumerate() {
        list.push(i as u8).unwrap();
        grown.push(list.as_ptr());
    }
    let smallest = bytes[..GROWN].iter().map(|l| l.max_capacity()).min();
    let largest = bytes[..GROWN].iter().map(|l| l.max_capacity()).max();
    println!("{GROWN} grown lists: max_capacity from {smallest:?} to {largest:?} bytes");
    assert!(smallest >= Some(64 * MIB));
    assert!(big_allocation_works(), "256 MiB after {GROWN} lists grew");

    // A list that grows keeps its address, the last one made as well as the first.
    for index in [0, GROWN - 1] {
        let list = &mut bytes[index];
        let start = list.as_ptr();
        assert_eq!(start, grown[index]);
        list.extend_from_slice(&vec![7u8; 20 * MIB]).unwrap();
        assert_eq!(list.as_ptr(), start, "list {index} moved");
        assert_eq!(list[0], index as u8);
        assert_eq!(list[20 * MIB], 7);
        list.truncate(1);
        list.shrink_to_fit();
    }
    let word = &mut words[EMPTY / 2 - 1];
    word.push(1).unwrap();
    let start = word.as_ptr();
    word.extend_from_slice(&vec![2u64; MIB]).unwrap();
    assert_eq!(word.as_ptr(), start);

    // Dropping every list gives the address space back.
    drop(bytes);
    drop(words);
    assert!(big_allocation_works());
    let mut fresh = PicoList::<u8>::new().unwrap();
    fresh.push(1).unwrap();
    assert!(fresh.max_capacity() >= 64 * MIB);
}
