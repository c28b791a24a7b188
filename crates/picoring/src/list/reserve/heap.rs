//! The heap fallback, used under Miri (which cannot model `mmap`) and on targets with neither
//! unix nor Windows memory calls: one heap allocation grown by doubling, like a `Vec`.
//!
//! Unlike the native regions, growing and shrinking here MOVE the data to a new address.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

use super::{next_commit, shrunk_commit, Plan};
use crate::Error;

/// Commits are rounded to this many bytes; a power of two.
const UNIT: usize = 64;

/// A heap allocation standing in for a reservation.
pub(crate) struct Region {
    /// The allocation (`committed > 0`), or a dangling pointer aligned to `align`.
    base: NonNull<u8>,
    /// The alignment of the allocation, a power of two.
    align: usize,
    /// The most bytes the region may grow to; at most `isize::MAX` rounded down to `align`.
    reserved: usize,
    /// The size of the allocation; 0 when nothing is allocated.
    committed: usize,
}

impl Region {
    /// Whether growing may move the data (yes, here).
    pub(crate) const MOVES: bool = true;

    /// Records the limit `plan` gives (the default target, or exactly the bytes asked for) for
    /// elements aligned to `align`; allocates nothing.
    pub(crate) fn new(plan: Plan, align: usize) -> Result<Self, Error> {
        let bytes = match plan {
            Plan::Default => super::default_target(),
            Plan::Exact(bytes) => bytes,
        };
        if !align.is_power_of_two() || bytes == 0 || bytes > isize::MAX as usize - (align - 1) {
            return Err(Error::CapacityOverflow);
        }
        // The dangling pointer for an empty region: non-null and aligned, as slices need.
        let base = NonNull::new(dangling(align)).ok_or(Error::CapacityOverflow)?;
        Ok(Region {
            base,
            align,
            reserved: bytes,
            committed: 0,
        })
    }

    /// Nothing to map: the heap region allocates as it grows.
    pub(crate) fn ensure_reserved(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// The heap fallback gives no hint: always `false`.
    pub(crate) fn set_huge_pages(&mut self, _enable: bool) -> bool {
        false
    }

    /// The start of the memory; changes when the region grows or shrinks.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Bytes usable from [`Region::base`].
    pub(crate) fn committed(&self) -> usize {
        self.committed
    }

    /// Bytes that can be written before [`Region::grow`] must be called again: all of them.
    pub(crate) fn ready(&self) -> usize {
        self.committed
    }

    /// The most bytes [`Region::committed`] can grow to.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved
    }

    /// Reallocates until at least `needed` (`<= reserved`) bytes are usable, keeping the
    /// contents. Plain doubling: capped steps would make a moving list quadratic. Nothing is
    /// prefaulted here, so `write` changes nothing.
    pub(crate) fn grow(&mut self, needed: usize, write: bool) -> Result<(), Error> {
        let _ = write;
        debug_assert!(needed <= self.reserved);
        if needed <= self.committed {
            return Ok(());
        }
        let doubled = self.committed.saturating_mul(2);
        let target = next_commit(self.committed, needed.max(doubled), UNIT, self.reserved);
        self.resize(target)
    }

    /// Shrinks the allocation to `keep` bytes (rounded up) when that frees at least the
    /// give-back threshold, or whenever `force` is set. The bytes past `keep` are lost.
    pub(crate) fn shrink(&mut self, keep: usize, force: bool) {
        if let Some(target) = shrunk_commit(self.committed, keep, UNIT, force) {
            // A failed shrink leaves the old, larger allocation in place: nothing is lost.
            let _ = self.resize(target);
        }
    }

    /// Moves the contents to an allocation of `size` bytes (0 frees it).
    fn resize(&mut self, size: usize) -> Result<(), Error> {
        let old = self.layout(self.committed)?;
        let new_base = if size == 0 {
            if self.committed > 0 {
                // SAFETY: `base` was allocated with `old` and is freed once, here.
                unsafe { alloc::dealloc(self.base.as_ptr(), old) };
            }
            dangling(self.align)
        } else if self.committed == 0 {
            // SAFETY: the layout has a non-zero size.
            unsafe { alloc::alloc(self.layout(size)?) }
        } else {
            self.layout(size)?;
            // SAFETY: `base` was allocated with `old`; `size` is non-zero and, rounded to the
            // alignment, does not overflow isize (checked by `layout`).
            unsafe { alloc::realloc(self.base.as_ptr(), old, size) }
        };
        self.base = NonNull::new(new_base).ok_or(Error::Os {
            op: "alloc",
            source: std::io::ErrorKind::OutOfMemory.into(),
        })?;
        self.committed = size;
        Ok(())
    }

    fn layout(&self, size: usize) -> Result<Layout, Error> {
        Layout::from_size_align(size, self.align).map_err(|_| Error::CapacityOverflow)
    }
}

/// A non-null pointer aligned to `align` that points at nothing (without provenance, so it is
/// never used to read or write, only to form empty slices).
fn dangling(align: usize) -> *mut u8 {
    std::ptr::null_mut::<u8>().wrapping_add(align)
}

impl Drop for Region {
    fn drop(&mut self) {
        self.shrink(0, true);
    }
}
