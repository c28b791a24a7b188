//! The portable software mirror: 2N ordinary bytes; every committed write is copied to its twin.
//!
//! Used under Miri (which cannot model `mmap` aliasing), on targets without a native backend,
//! and wherever it is asked for explicitly.

#[cfg(not(all(unix, not(miri))))]
use std::alloc;
use std::alloc::Layout;
use std::ptr::NonNull;

use crate::Error;

fn layout(len: usize) -> Result<Layout, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    Layout::from_size_align(size, super::granularity()).map_err(|_| Error::CapacityOverflow)
}

/// Allocates 2 * `len` zeroed bytes aligned like a page.
///
/// On Unix (outside Miri) the bytes come from an anonymous private mapping: fresh zero pages,
/// instead of a page-aligned heap block that the allocator would have to clear byte by byte.
pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let layout = layout(len)?;
    #[cfg(all(unix, not(miri)))]
    {
        crate::unix::map_anonymous(
            layout.size(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE,
        )
    }
    #[cfg(not(all(unix, not(miri))))]
    {
        // SAFETY: the layout has a non-zero size (len > 0 is checked by the caller).
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        NonNull::new(ptr).ok_or(Error::Os {
            op: "alloc",
            source: std::io::ErrorKind::OutOfMemory.into(),
        })
    }
}

/// Frees what [`map`] allocated.
///
/// # Safety
/// `ptr` came from `map(len)` and is freed once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    if let Ok(layout) = layout(len) {
        #[cfg(all(unix, not(miri)))]
        // SAFETY: the whole mapping made by `map`, per the caller's contract.
        unsafe {
            libc::munmap(ptr.as_ptr().cast(), layout.size());
        }
        #[cfg(not(all(unix, not(miri))))]
        // SAFETY: same pointer and layout as the allocation, per the caller's contract.
        unsafe {
            alloc::dealloc(ptr.as_ptr(), layout)
        }
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
