//! The portable software mirror: 2N ordinary bytes; every committed write is copied to its twin.
//!
//! Used under Miri (which cannot model `mmap` aliasing), on targets without a native backend,
//! and wherever it is asked for explicitly.

use std::alloc::Layout;
use std::ptr::NonNull;

use crate::{sys, Error};

fn layout(len: usize) -> Result<Layout, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    Layout::from_size_align(size, super::granularity()).map_err(|_| Error::CapacityOverflow)
}

/// Allocates 2 * `len` zeroed bytes aligned like a page ([`sys::alloc_zeroed`]).
pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    // The layout has a non-zero size: len > 0 is checked by the caller.
    sys::alloc_zeroed(layout(len)?)
}

/// Frees what [`map`] allocated.
///
/// # Safety
/// `ptr` came from `map(len)` and is freed once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    if let Ok(layout) = layout(len) {
        // SAFETY: the same pointer and layout as the allocation, per the caller's contract.
        unsafe { sys::dealloc(ptr, layout) }
    }
}

/// Copies the `count` bytes at `offset` of the 2N region to the other half.
///
/// # Safety
/// `offset + count <= 2 * len`, `count <= len`, and no live reference covers the twin bytes.
pub(super) unsafe fn mirror_range(base: NonNull<u8>, len: usize, offset: usize, count: usize) {
    let base = base.as_ptr();
    // The part in the first half goes up by N; the part in the second half goes down by N.
    let first_end = (offset + count).min(len);
    if offset < first_end {
        // SAFETY: [offset, first_end) is in the first half and its twin [offset+N, first_end+N)
        // in the second; the two ranges are disjoint, and the caller guarantees no live refs.
        unsafe {
            std::ptr::copy_nonoverlapping(
                base.add(offset),
                base.add(offset + len),
                first_end - offset,
            )
        };
    }
    let second_start = offset.max(len);
    if second_start < offset + count {
        // SAFETY: [second_start, offset+count) is in the second half and ends at or before 2N;
        // its twin is N lower, in the first half; disjoint for the same reason as above.
        unsafe {
            std::ptr::copy_nonoverlapping(
                base.add(second_start),
                base.add(second_start - len),
                offset + count - second_start,
            )
        };
    }
}
