//! The native region: reserved address space whose front is committed as the list grows. The
//! base address never changes.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Below this many bytes pages fault in one at a time on first write; past it they are
/// prefaulted in batches ahead of the length (one `MADV_POPULATE_WRITE` call instead of one
/// page fault per page, about a third cheaper per page here).
const PREFAULT_FROM: usize = 1 << 20;

/// Each batch prefaults 1/8 of the length ahead, within these bounds, so physical memory
/// exceeds the length by at most 1/8 of it (and at most 2 MiB).
const MIN_PREFAULT: usize = 128 << 10;
const MAX_PREFAULT: usize = 2 << 20;

/// Set once the kernel refuses to prefault (no `MADV_POPULATE_WRITE` before Linux 5.14, or a
/// platform without it), so later regions do not ask again.
static PREFAULT_REFUSED: AtomicBool = AtomicBool::new(false);

/// Reserved address space, committed from the front.
pub(crate) struct Region {
    /// Start of the reservation; aligned to [`sys::unit()`].
    base: NonNull<u8>,
    /// Bytes reserved: a multiple of [`sys::unit()`], at most `isize::MAX`.
    reserved: usize,
    /// Bytes readable and writable from `base`: a multiple of [`sys::unit()`], `<= reserved`.
    committed: usize,
    /// Bytes from `base` already prefaulted (or that fault in one by one, below
    /// [`PREFAULT_FROM`]): `<= committed`. Writes up to here need no call to [`Region::grow`].
    ready: usize,
    /// Whether this region prefaults ahead of the length.
    prefault: bool,
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
            ready: 0,
            prefault: !PREFAULT_REFUSED.load(Ordering::Relaxed),
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

    /// Bytes from [`Region::base`] that can be written before [`Region::grow`] must be called
    /// again: `<= committed`.
    pub(crate) fn ready(&self) -> usize {
        self.ready
    }

    /// Commits memory until at least `needed` (`<= reserved`) bytes are usable, and prefaults
    /// a batch of pages ahead of `needed` once the region is past [`PREFAULT_FROM`].
    pub(crate) fn grow(&mut self, needed: usize) -> Result<(), Error> {
        debug_assert!(needed <= self.reserved);
        if needed > self.committed {
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
        }
        self.ready = if self.prefault {
            self.prefault_for(needed)
        } else {
            self.committed
        };
        Ok(())
    }

    /// Prefaults `[ready, needed + batch)` where it lies past [`PREFAULT_FROM`]; returns the new
    /// `ready`, which covers `needed`.
    fn prefault_for(&mut self, needed: usize) -> usize {
        if needed <= PREFAULT_FROM {
            return PREFAULT_FROM.min(self.committed);
        }
        let batch = (needed / 8).clamp(MIN_PREFAULT, MAX_PREFAULT);
        let end = round_up(needed.saturating_add(batch), sys::unit())
            .unwrap_or(usize::MAX)
            .min(self.committed);
        // Pages below PREFAULT_FROM fault in one by one; prefaulting starts above them.
        let start = self.ready.max(PREFAULT_FROM);
        if start < end {
            // SAFETY: [start, end) is unit-aligned (PREFAULT_FROM and ready are multiples of
            // the page size) and inside the committed part of our reservation; prefaulting
            // changes no contents.
            if !unsafe { sys::prefault(self.base.as_ptr().add(start), end - start) } {
                // Refused (an old kernel): let pages fault in on first write from now on.
                PREFAULT_REFUSED.store(true, Ordering::Relaxed);
                self.prefault = false;
                return self.committed;
            }
        }
        end.max(self.ready)
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
            self.ready = self.ready.min(target);
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: we own the reservation, release it once, and the list that used it is gone.
        unsafe { sys::release(self.base, self.reserved) };
    }
}
