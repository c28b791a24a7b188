//! Constructor errors: every impossible request is an `Err` of the right variant, never a panic.
//!
//! Running out of memory mappings lives in `ring_exhaustion.rs`: it holds every mapping the
//! process may have, so it needs a process (test binary) of its own.

use std::error::Error as _;
use std::io;
use std::mem::size_of;

use picoring::mirror::{granularity, Backend, MirrorOptions};
use picoring::{Error, PicoRing};

mod common;
use common::backends;

/// Capacity `n` of `T` on every backend gives an error for which `check` holds.
fn assert_err<T>(n: usize, what: &str, check: impl Fn(&Error) -> bool) {
    for options in backends() {
        match PicoRing::<T>::with_options(n, &options) {
            Ok(ring) => panic!(
                "{what}: capacity {n} of {}-byte elements gave a ring of {} ({options:?})",
                size_of::<T>(),
                ring.capacity()
            ),
            Err(e) => assert!(check(&e), "{what}: wrong error {e:?} ({options:?})"),
        }
    }
}

fn is_overflow(e: &Error) -> bool {
    matches!(e, Error::CapacityOverflow)
}

#[test]
fn zero_capacity() {
    let zero = |e: &Error| matches!(e, Error::ZeroCapacity);
    assert_err::<u8>(0, "u8", zero);
    assert_err::<[u8; 3]>(0, "[u8; 3]", zero);
    assert_err::<String>(0, "String", zero);
    let e = PicoRing::<u8>::with_capacity(0).expect_err("zero");
    assert!(!e.to_string().is_empty());
    assert!(e.source().is_none());
    assert_eq!(io::Error::from(e).kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn zero_sized_types() {
    #[derive(Debug)]
    struct Empty;
    let zst = |e: &Error| matches!(e, Error::ZeroSizedType);
    assert_err::<()>(1, "()", zst);
    assert_err::<()>(0, "() with capacity 0", zst);
    assert_err::<Empty>(usize::MAX, "unit struct", zst);
    assert_err::<[u64; 0]>(10, "empty array", zst);
}

#[test]
fn capacity_overflow() {
    fn all_overflows<T>(name: &str) {
        let size = size_of::<T>();
        // n * size overflows usize.
        assert_err::<T>(usize::MAX, name, is_overflow);
        assert_err::<T>((usize::MAX / size).saturating_add(1), name, is_overflow);
        // n * size fits, but rounding up to whole pages does not.
        assert_err::<T>(usize::MAX / size, name, is_overflow);
        // The doubled mapping would not fit in isize.
        assert_err::<T>(isize::MAX as usize / size, name, is_overflow);
        assert_err::<T>((isize::MAX as usize / 2) / size + 1, name, is_overflow);
    }
    all_overflows::<u8>("u8");
    all_overflows::<[u8; 3]>("[u8; 3]");
    all_overflows::<u64>("u64");
    all_overflows::<[u32; 3]>("[u32; 3]");
    all_overflows::<[u64; 3]>("[u64; 3]");
    all_overflows::<String>("String");
}

/// The largest odd element size a 64-bit target allows (rustc caps objects at 2^47 bytes):
/// lcm(page, size) is then about 2^59 bytes, so the arithmetic must be checked throughout.
#[cfg(target_pointer_width = "64")]
type HugeOdd = [u8; (1 << 47) - 1];

#[test]
#[cfg(target_pointer_width = "64")]
fn huge_odd_element_size_overflows_instead_of_panicking() {
    assert_err::<HugeOdd>(1 << 20, "huge odd element", is_overflow);
    assert_err::<HugeOdd>(usize::MAX, "huge odd element", is_overflow);
}

/// A representable size that no machine can map: the OS (or allocator) says no, as an error; on
/// Linux the check against physical memory plus swap says it first.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri aborts on an allocation this large instead of failing it"
)]
fn too_large_for_the_address_space_is_an_os_error() {
    let page = granularity();
    // The largest page-aligned size whose doubled mapping still fits in isize.
    let bytes = (isize::MAX as usize / 2) / page * page;
    for options in backends() {
        match PicoRing::<u8>::with_options(bytes, &options) {
            Ok(_) => panic!("{bytes} bytes mapped twice ({options:?})"),
            Err(Error::Os { op, source }) => {
                assert_eq!(source.kind(), io::ErrorKind::OutOfMemory, "{op}: {source}");
                let e = Error::Os { op, source };
                assert!(e.source().is_some(), "Os errors carry the io::Error");
                assert_eq!(io::Error::from(e).kind(), io::ErrorKind::OutOfMemory);
            }
            Err(e @ Error::ExceedsMemory { .. }) => {
                assert_eq!(io::Error::from(e).kind(), io::ErrorKind::OutOfMemory);
            }
            Err(e) => panic!("unexpected error {e:?} ({options:?})"),
        }
    }
    // One element of 2^47 - 1 bytes rounds up to lcm(page, size): about 2^59 bytes for 4 KiB
    // pages, which the system refuses; with a 64 KiB granularity (Windows) about 2^63, whose
    // doubled mapping does not fit in isize at all.
    #[cfg(target_pointer_width = "64")]
    {
        let doubled_fits = page
            .checked_mul(size_of::<HugeOdd>())
            .and_then(|lcm| lcm.checked_mul(2))
            .is_some_and(|doubled| doubled <= isize::MAX as usize);
        assert_err::<HugeOdd>(1, "huge odd element", |e| match e {
            Error::Os { source, .. } => source.kind() == io::ErrorKind::OutOfMemory,
            Error::ExceedsMemory { .. } => true,
            Error::CapacityOverflow => !doubled_fits,
            _ => false,
        });
    }
}

#[repr(align(8192))]
struct Align8K(#[allow(dead_code)] u8);

#[repr(align(1048576))]
struct Align1M(#[allow(dead_code)] u8);

#[test]
fn over_aligned_types() {
    let unsupported = |want: usize| move |e: &Error| matches!(e, Error::UnsupportedAlignment { align } if *align == want);
    if 8192 > granularity() {
        assert_err::<Align8K>(1, "align 8192", unsupported(8192));
    }
    assert_err::<Align1M>(1, "align 1 MiB", unsupported(1 << 20));
    assert_err::<Align1M>(
        usize::MAX,
        "align 1 MiB, huge capacity",
        unsupported(1 << 20),
    );
}

/// The strictest alignment accepted (the page size) works, element addresses included.
#[test]
fn page_aligned_elements_work() {
    #[derive(Clone, Copy, PartialEq, Debug)]
    #[repr(C, align(4096))]
    struct PageAligned([u64; 512]);
    assert!(
        4096 <= granularity(),
        "this test assumes pages of at least 4 KiB"
    );

    for options in backends() {
        let mut ring = PicoRing::<PageAligned>::with_options(3, &options).expect("ring");
        let cap = ring.capacity();
        assert!(cap >= 3);
        for round in 0..(2 * cap as u64 + 1) {
            ring.push(PageAligned([round; 512])).expect("room");
            if ring.len() == cap {
                assert_eq!(ring.pop().map(|e| e.0[511]), Some(round + 1 - cap as u64));
            }
            for e in ring.iter() {
                assert_eq!(e as *const PageAligned as usize % 4096, 0);
            }
        }
        assert_eq!(ring.back().map(|e| e.0[0]), Some(2 * cap as u64));
    }
}

#[test]
fn unavailable_backend_is_reported() {
    let other = if cfg!(target_vendor = "apple") {
        Backend::Placeholder
    } else {
        Backend::MachVm
    };
    let options = MirrorOptions::new().backend(other);
    match PicoRing::<u8>::with_options(1, &options) {
        Err(Error::BackendUnavailable(b)) => assert_eq!(b, other),
        Err(e) => panic!("wrong error {e:?}"),
        Ok(_) => panic!("{other:?} is not compiled in here"),
    }
}
