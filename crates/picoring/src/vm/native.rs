//! The native region: reserved address space whose front is committed as the list grows. The
//! base address never changes.

use std::ptr::NonNull;

#[cfg(all(unix, not(miri)))]
use super::unix as sys;
#[cfg(all(windows, not(miri)))]
use super::windows as sys;
use super::{next_commit, round_up, shrunk_commit};
use crate::Error;

/// Huge pages, when asked for, start this far into a reservation: below it pages stay small,
/// so a list holds at most one huge page (2 MiB) more than its length, and that overshoot is at
/// most 1/8 of the length.
const HUGE_PAGES_FROM: usize = 16 << 20;

/// Reserved address space, committed from the front.
pub(crate) struct Region {
    /// Start of the reservation; aligned to [`sys::unit`].
    base: NonNull<u8>,
    /// Bytes reserved: a multiple of [`sys::unit`], at most `isize::MAX`.
    reserved: usize,
    /// Bytes readable and writable from `base`: a multiple of [`sys::unit`], `<= reserved`.
    committed: usize,
}

impl Region {
    /// Whether growing may move the data (never, here).
    pub(crate) const MOVES: bool = false;

    /// Reserves at least `bytes` (> 0) of address space for elements aligned to `align`.
    pub(crate) fn reserve(bytes: usize, align: usize) -> Result<Self, Error> {
        let unit = sys::unit();
        if align > unit {
            return Err(Error::UnsupportedAlignment { align });
        }
        let reserved = round_up(bytes, unit)
            .filter(|&r| r <= isize::MAX as usize)
            .ok_or(Error::CapacityOverflow)?;
        let base = sys::reserve(reserved)?;
        Ok(Region {
            base,
            reserved,
            committed: 0,
        })
    }

    /// Asks the kernel to back the reservation past its first 16 MiB with transparent huge
    /// pages (or to stop doing so). Returns whether the hint was taken.
    pub(crate) fn set_huge_pages(&mut self, enable: bool) -> bool {
        if self.reserved <= HUGE_PAGES_FROM {
            return false;
        }
        // SAFETY: the range lies inside the reservation we own; the call changes no contents.
        unsafe {
            sys::advise_huge_pages(
                self.base.as_ptr().add(HUGE_PAGES_FROM),
                self.reserved - HUGE_PAGES_FROM,
                enable,
            )
        }
    }

    /// The start of the memory; the same for the region's whole life.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Bytes usable from [`Region::base`].
    pub(crate) fn committed(&self) -> usize {
        self.committed
    }

    /// Bytes of address space reserved: the most [`Region::committed`] can grow to.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved
    }

    /// Commits memory until at least `needed` (`<= reserved`) bytes are usable.
    pub(crate) fn grow(&mut self, needed: usize) -> Result<(), Error> {
        debug_assert!(needed <= self.reserved);
        if needed <= self.committed {
            return Ok(());
        }
        let target = next_commit(self.committed, needed, sys::unit(), self.reserved);
        // SAFETY: [committed, target) lies inside the reservation (target <= reserved), is
        // unit-aligned, and no reference covers it (it was not accessible until now).
        unsafe {
            sys::commit(
                self.base.as_ptr().add(self.committed),
                target - self.committed,
            )?
        };
        self.committed = target;
        Ok(())
    }

    /// Gives committed memory past `keep` bytes back to the operating system when that frees at
    /// least the give-back threshold, or whenever `force` is set. The bytes past `keep` are lost.
    pub(crate) fn shrink(&mut self, keep: usize, force: bool) {
        let Some(target) = shrunk_commit(self.committed, keep, sys::unit(), force) else {
            return;
        };
        // SAFETY: [target, committed) is inside the committed part of our reservation, and the
        // caller holds no element there (everything past `keep` is dead).
        let result =
            unsafe { sys::decommit(self.base.as_ptr().add(target), self.committed - target) };
        // When decommitting fails the pages stay usable: keep counting them as committed.
        if result.is_ok() {
            self.committed = target;
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: we own the reservation, release it once, and the list that used it is gone.
        unsafe { sys::release(self.base, self.reserved) };
    }
}
