//! The native region: reserved address space whose front is committed as the list grows.
//!
//! Nothing is mapped until the region first grows (an empty list costs no mapping and no
//! address space); from then on the base address never changes.
//!
//! **The pool of released reservations.** A default region dropped with at most
//! [`POOL_MAX_COMMITTED`] bytes committed, no huge-page hint given, and the full default size
//! goes to the dropping thread's pool (the crate's `pool` module, bounded by [`POOL_LIMITS`])
//! instead of being unmapped; the next default region to be mapped on that thread takes it,
//! with its committed pages, so a short-lived small list costs no system call at all. Exact
//! regions ([`Plan::Exact`]) are never pooled (their size is the user's). A pooled
//! reservation stays counted in [`IN_USE`], as it stays reserved.
//!
//! Its bytes are not cleared: a list never exposes memory past its length (nothing reads
//! spare capacity, as with a `Vec`'s reused heap memory), so what a previous list left there
//! is unreachable. `fork()` needs nothing either: a reservation is private anonymous memory,
//! so a child's pooled reservations are its own copies, and reusing them shares nothing with
//! the parent (unlike the mirrors, whose memory is shared by design).

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{budget, default_size, next_commit, round_up, shrunk_commit, Plan};
use crate::pool::{self as cache, Limits, Pool, Pooled};
use crate::{sys, Error};

/// A released reservation is pooled only with at most this much committed: 256 KiB. Its
/// committed pages stay resident while pooled.
const POOL_MAX_COMMITTED: usize = 256 << 10;

/// What one thread's pool holds: at most 8 reservations and 1 MiB committed.
const POOL_LIMITS: Limits = Limits {
    count: 8,
    bytes: 1 << 20,
};

/// The pool's generation: always the same, as `fork()` needs no emptying (see the module docs).
const GENERATION: u64 = 0;

/// A mapped reservation and its committed front; released (and taken off [`IN_USE`]) on drop.
struct Reservation {
    base: NonNull<u8>,
    reserved: usize,
    committed: usize,
}

impl Pooled for Reservation {
    fn bytes(&self) -> usize {
        self.committed
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // SAFETY: the reservation is owned by this value alone (the list that used it is
        // gone), and released once: the value is being dropped.
        unsafe { sys::release(self.base, self.reserved) };
        IN_USE.fetch_sub(self.reserved as u64, Ordering::Relaxed);
    }
}

thread_local! {
    static POOL: std::cell::RefCell<Pool<Reservation>> =
        const { std::cell::RefCell::new(Pool::new()) };
}

/// Releases this thread's pooled reservations; returns how many there were.
pub(crate) fn trim_pool() -> usize {
    cache::trim(&POOL, GENERATION)
}

/// Huge pages, when asked for, start this far into a reservation: below it pages stay small,
/// so a list holds at most one huge page (2 MiB) more than its length, and that overshoot is at
/// most 1/8 of the length.
const HUGE_PAGES_FROM: usize = 16 << 20;

/// Below this many bytes pages fault in one at a time on first write; past it they are
/// prefaulted in batches ahead of the length (one `MADV_POPULATE_WRITE` call instead of one
/// page fault per page).
const PREFAULT_FROM: usize = 1 << 20;

/// Each batch prefaults 1/8 of the length ahead, within these bounds, so physical memory
/// exceeds the length by at most 1/8 of it (and at most 2 MiB).
const MIN_PREFAULT: usize = 128 << 10;
const MAX_PREFAULT: usize = 2 << 20;

/// Set once the kernel refuses to prefault (no `MADV_POPULATE_WRITE` before Linux 5.14, or a
/// platform without it), so later regions do not ask again.
static PREFAULT_REFUSED: AtomicBool = AtomicBool::new(false);

/// Bytes of address space reserved by the regions alive in this process, weighed against the
/// [`budget`] when a default region picks its size. Updated without locking: two regions
/// reserving at the same moment may both see the same figure, which only makes the budget
/// approximate.
static IN_USE: AtomicU64 = AtomicU64::new(0);

/// Address space, reserved on first growth and committed from the front.
pub(crate) struct Region {
    /// Start of the reservation, aligned to [`sys::page_size()`]; before it is mapped, a dangling
    /// pointer aligned for the elements (never read or written: nothing is committed).
    base: NonNull<u8>,
    /// Whether the reservation is mapped; until then `committed` is 0.
    mapped: bool,
    /// Whether `reserved` is exactly what the list asked for, or the default policy's size,
    /// which may come out smaller when the region is mapped.
    exact: bool,
    /// Bytes reserved (before mapping: the bytes the region will ask for): a multiple of
    /// [`sys::page_size()`], at most `isize::MAX`. Never grows; a default region's may shrink when
    /// it is mapped.
    reserved: usize,
    /// Bytes readable and writable from `base`: a multiple of [`sys::page_size()`], `<= reserved`.
    committed: usize,
    /// Bytes from `base` already prefaulted (or that fault in one by one, below
    /// [`PREFAULT_FROM`]): `<= committed`. Writes up to here need no call to [`Region::grow`].
    ready: usize,
    /// Whether this region prefaults ahead of the length.
    prefault: bool,
    /// Whether a huge-page hint was taken: the reservation then differs from a fresh one and
    /// is not pooled.
    hinted: bool,
}

impl Region {
    /// Whether growing may move the data (never, here).
    pub(crate) const MOVES: bool = false;

    /// A region for elements aligned to `align`, to be reserved as `plan` says when it first
    /// grows. Maps nothing; an exact plan is checked now, by reserving and releasing its range
    /// at once, so that a size the system cannot reserve is an error here rather than at the
    /// first push.
    pub(crate) fn new(plan: Plan, align: usize) -> Result<Self, Error> {
        let unit = sys::page_size();
        if align > unit {
            return Err(Error::UnsupportedAlignment { align });
        }
        let (reserved, exact) = match plan {
            Plan::Default => (super::default_target(), false),
            Plan::Exact(bytes) => (bytes, true),
        };
        let reserved = round_up(reserved, unit)
            .filter(|&r| r > 0 && r <= isize::MAX as usize)
            .ok_or(Error::CapacityOverflow)?;
        if exact {
            let probe = sys::reserve(reserved)?;
            // SAFETY: the reservation was just made, with this size, and nothing refers to it.
            unsafe { sys::release(probe, reserved) };
        }
        // An address aligned for the elements that points at nothing, for empty slices.
        let dangling = std::ptr::null_mut::<u8>().wrapping_add(align);
        Ok(Region {
            base: NonNull::new(dangling).ok_or(Error::CapacityOverflow)?,
            mapped: false,
            exact,
            reserved,
            committed: 0,
            ready: 0,
            prefault: !PREFAULT_REFUSED.load(Ordering::Relaxed),
            hinted: false,
        })
    }

    /// Maps the reservation if that is not done yet; afterwards [`Region::base`] and
    /// [`Region::reserved`] never change.
    ///
    /// A default region asks for its planned size, halved while lists already hold most of the
    /// budget (down to [`MIN_DEFAULT_RESERVATION`](super::MIN_DEFAULT_RESERVATION)), and halved again each time the system
    /// refuses (a `ulimit -v`, a small address space), down to one page.
    #[inline]
    pub(crate) fn ensure_reserved(&mut self) -> Result<(), Error> {
        if self.mapped {
            return Ok(());
        }
        self.map()
    }

    #[cold]
    fn map(&mut self) -> Result<(), Error> {
        if !self.exact {
            let size = self.reserved;
            if let Some(pooled) =
                cache::take(&POOL, GENERATION, |r: &Reservation| r.reserved == size)
            {
                // The region owns the reservation now (its drop releases or pools it again).
                let pooled = std::mem::ManuallyDrop::new(pooled);
                self.base = pooled.base;
                self.committed = pooled.committed;
                // Below PREFAULT_FROM, pages fault in one by one: all committed ones are ready.
                self.ready = pooled.committed;
                self.mapped = true;
                return Ok(());
            }
        }
        let unit = sys::page_size();
        let mut bytes = if self.exact {
            self.reserved
        } else {
            let size = default_size(self.reserved, IN_USE.load(Ordering::Relaxed), budget());
            round_up(size, unit)
                .unwrap_or(self.reserved)
                .min(self.reserved)
        };
        let base = loop {
            match sys::reserve(bytes) {
                Ok(base) => break base,
                // Refused by the system (a `ulimit -v`, a small address space): a smaller
                // reservation still gives a list that works up to its size, where refusing
                // outright would give one that can hold nothing.
                Err(Error::Os { .. }) if !self.exact && bytes / 2 >= unit => {
                    bytes = round_up(bytes / 2, unit).unwrap_or(bytes / 2);
                }
                Err(err) => return Err(err),
            }
        };
        IN_USE.fetch_add(bytes as u64, Ordering::Relaxed);
        self.base = base;
        self.reserved = bytes;
        self.mapped = true;
        Ok(())
    }

    /// Asks the kernel to back the reservation past its first [`HUGE_PAGES_FROM`] bytes with
    /// transparent huge pages (or to stop doing so), mapping the reservation first if need be.
    /// Returns whether the hint was taken.
    pub(crate) fn set_huge_pages(&mut self, enable: bool) -> bool {
        if self.ensure_reserved().is_err() || self.reserved <= HUGE_PAGES_FROM {
            return false;
        }
        // SAFETY: the range lies inside the reservation we own; the call changes no contents.
        let taken = unsafe {
            sys::advise_huge_pages(
                self.base.as_ptr().add(HUGE_PAGES_FROM),
                self.reserved - HUGE_PAGES_FROM,
                enable,
            )
        };
        self.hinted |= taken;
        taken
    }

    /// The start of the memory; the same from the moment the region is mapped.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Bytes usable from [`Region::base`].
    pub(crate) fn committed(&self) -> usize {
        self.committed
    }

    /// Bytes of address space reserved: the most [`Region::committed`] can grow to. Before the
    /// region is mapped, the bytes it will ask for (a default region may get fewer).
    pub(crate) fn reserved(&self) -> usize {
        self.reserved
    }

    /// Bytes from [`Region::base`] that can be written before [`Region::grow`] must be called
    /// again: `<= committed`.
    pub(crate) fn ready(&self) -> usize {
        self.ready
    }

    /// Commits memory until at least `needed` (`<= reserved` once mapped) bytes are usable,
    /// mapping the reservation first if need be.
    ///
    /// With `write` (the caller is about to write up to `needed`) it also prefaults a batch of
    /// pages ahead of `needed` once the region is past [`PREFAULT_FROM`]: physical memory is
    /// then spent on what is written and a bounded batch beyond. Without it (a reservation
    /// made ahead of use) nothing is prefaulted: committing costs address space only.
    pub(crate) fn grow(&mut self, needed: usize, write: bool) -> Result<(), Error> {
        self.ensure_reserved()?;
        debug_assert!(needed <= self.reserved);
        if needed > self.committed {
            let target = next_commit(self.committed, needed, sys::page_size(), self.reserved);
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
        self.ready = if !self.prefault {
            self.committed
        } else if write {
            self.prefault_for(needed)
        } else {
            // Pages below PREFAULT_FROM fault in one by one anyway; past them, `ready` stays
            // where prefaulting stopped, so the next write past it prefaults its own batch.
            self.ready.max(PREFAULT_FROM.min(self.committed))
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
        let end = round_up(needed.saturating_add(batch), sys::page_size())
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
        let Some(target) = shrunk_commit(self.committed, keep, sys::page_size(), force) else {
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
        if !self.mapped {
            return;
        }
        let reservation = Reservation {
            base: self.base,
            reserved: self.reserved,
            committed: self.committed,
        };
        // Only what a fresh default region would look like goes to the pool: the full default
        // size, no hint, a small committed front.
        let poolable = !self.exact
            && !self.hinted
            && self.committed <= POOL_MAX_COMMITTED
            && self.reserved == super::default_target();
        if poolable {
            if let Err(refused) = cache::give(&POOL, GENERATION, POOL_LIMITS, reservation, |_| true)
            {
                drop(refused); // released
            }
        } else {
            drop(reservation); // released
        }
    }
}
