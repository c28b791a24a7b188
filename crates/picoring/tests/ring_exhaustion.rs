//! Running out of memory mappings: rings are created until the kernel refuses (each ring is two
//! VMAs, and `vm.max_map_count` is about 65530, so about 32,750 small rings). The refusal must be
//! an `Err` (`Error::Os`, `ENOMEM`), never a panic, and every ring created before keeps working.
//!
//! This is the only test in this file on purpose: while it runs the process has no mappings to
//! spare, so anything else in the same process (another test's thread stack) could fail.
#![cfg(all(target_os = "linux", not(miri)))]

use std::io;

use picoring::{Error, PicoRing};

/// The kernel's limit, or `None` when it cannot be read.
fn max_map_count() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Puts a pattern that wraps past the physical end into `ring`.
fn fill_wrapped(ring: &mut PicoRing<u32>, tag: u32) {
    let cap = ring.capacity();
    ring.clear();
    assert_eq!(ring.push_slice(&vec![0; cap - 2]), cap - 2);
    assert_eq!(ring.consume(cap - 2), cap - 2);
    let pattern: Vec<u32> = (0..5).map(|i| tag * 8 + i).collect();
    assert_eq!(ring.push_slice(&pattern), 5);
}

fn check_wrapped(ring: &mut PicoRing<u32>, tag: u32) {
    let pattern: Vec<u32> = (0..5).map(|i| tag * 8 + i).collect();
    assert_eq!(ring.readable(), &pattern[..], "ring {tag} lost its data");
    assert_eq!(ring.pop(), Some(tag * 8));
    ring.push(7).expect("room");
    assert_eq!(
        ring.readable(),
        [tag * 8 + 1, tag * 8 + 2, tag * 8 + 3, tag * 8 + 4, 7]
    );
}

#[test]
fn running_out_of_mappings_is_an_error_and_earlier_rings_still_work() {
    // `make sanitize` sets PICORING_SANITIZER: a sanitizer's runtime maps memory of its own
    // (ASan aborts with "out of memory" once the process has no mappings left).
    if std::env::var_os("PICORING_SANITIZER").is_some() {
        println!("skipped: running under a sanitizer");
        return;
    }
    let Some(limit) = max_map_count() else {
        println!("skipped: /proc/sys/vm/max_map_count is not readable");
        return;
    };
    if limit > 1_000_000 {
        println!("skipped: vm.max_map_count = {limit} is too high to reach quickly");
        return;
    }
    // Spot-checked rings get data now and are verified after the refusal.
    const CHECK_EVERY: usize = 997;
    let mut rings: Vec<PicoRing<u32>> = Vec::with_capacity(limit / 2 + 16);
    let refusal = loop {
        // Each ring needs at least two mappings; more attempts than that means no limit bites.
        assert!(
            rings.len() <= limit,
            "created {} rings, no refusal",
            rings.len()
        );
        match PicoRing::<u32>::with_capacity(1) {
            Ok(mut ring) => {
                if rings.len() % CHECK_EVERY == 0 {
                    fill_wrapped(&mut ring, rings.len() as u32);
                }
                rings.push(ring);
            }
            Err(e) => break e,
        }
    };
    let created = rings.len();
    println!("refused after {created} rings (vm.max_map_count = {limit}): {refusal}");
    match &refusal {
        Error::Os { source, .. } => {
            assert_eq!(source.raw_os_error(), Some(libc::ENOMEM), "{refusal}");
            assert_eq!(source.kind(), io::ErrorKind::OutOfMemory);
        }
        other => panic!("expected Error::Os(ENOMEM), got {other:?}"),
    }
    // Most of the limit went to rings (the process had some mappings already).
    assert!(
        created > limit / 2 - 2000,
        "only {created} rings for limit {limit}"
    );

    // A second refusal is just as clean.
    assert!(PicoRing::<u8>::with_capacity(1).is_err());

    // Earlier rings are intact and usable, the first and last included.
    for (i, ring) in rings.iter_mut().enumerate() {
        if i % CHECK_EVERY == 0 {
            check_wrapped(ring, i as u32);
        }
    }
    let last = rings.last_mut().expect("some rings");
    fill_wrapped(last, 1);
    check_wrapped(last, 1);

    // Releasing rings gives the mappings back: creation works again.
    rings.truncate(created - 8);
    let mut again = PicoRing::<u32>::with_capacity(1).expect("a ring after releasing some");
    fill_wrapped(&mut again, 2);
    check_wrapped(&mut again, 2);
    drop(again);
    drop(rings);
}
