//! Reserve-then-commit memory for [`PicoList`](crate::PicoList): a large range of address space is
//! reserved once, when the list first grows, and physical memory is committed at its front as
//! the list grows, so the data never moves.
//!
//! How large: an explicit size ([`Plan::Exact`]) is reserved as given. A default list
//! ([`Plan::Default`]) asks for [`default_target`], the smaller of [`DEFAULT_RESERVATION`] and
//! RAM + swap; once the reservations alive in the process approach the [`budget`]
//! ([`LIST_BUDGET`]), [`default_size`] halves the request down to the floor
//! [`MIN_DEFAULT_RESERVATION`], so that thousands of lists still leave the address space to the
//! rest of the program. Where the system refuses a reservation (a `ulimit -v`, a small
//! address space), a default list halves it again, down to one page, rather than hold nothing.
//! Empty lists reserve nothing, so they do not count.
//!
//! The policy (sizes, budget, commit steps) is here; the region that applies it is in
//! `native.rs`, whose system calls are in the crate's `sys` module, or in `heap.rs`:
//!
//! | file | where | reserve / commit / give back | status |
//! |---|---|---|---|
//! | `native.rs` + `sys/unix.rs` | Linux, macOS, other unix | `mmap(PROT_NONE, MAP_NORESERVE)` / `mprotect(READ\|WRITE)` / `madvise(MADV_DONTNEED)` + `mprotect(PROT_NONE)` | tested on Linux; compile-checked on macOS |
//! | `native.rs` + `sys/windows.rs` | Windows | `VirtualAlloc(MEM_RESERVE)` / `VirtualAlloc(MEM_COMMIT)` / `VirtualFree(MEM_DECOMMIT)` | compile-checked only |
//! | `heap.rs` | under Miri and on targets with neither | a heap allocation grown like a `Vec`: it MOVES | tested, also under Miri |
//!
//! Committing does not touch pages: committed memory that was never written costs no physical
//! memory (no RSS), so physical use tracks the list's length, not its committed capacity.

use std::sync::OnceLock;

#[cfg(any(miri, not(any(unix, windows))))]
mod heap;
#[cfg(all(any(unix, windows), not(miri)))]
mod native;

#[cfg(any(miri, not(any(unix, windows))))]
pub(crate) use heap::Region;
#[cfg(all(any(unix, windows), not(miri)))]
pub(crate) use native::{trim_pool, Region};

/// No pool on the heap fallback: nothing to release.
#[cfg(any(miri, not(any(unix, windows))))]
pub(crate) fn trim_pool() -> usize {
    0
}

/// What a list's region reserves when it first grows.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Plan {
    /// The default policy: [`default_target`], less when lists already hold much of the
    /// [`budget`] or the system refuses.
    Default,
    /// Exactly this many bytes (rounded up to whole pages), as
    /// [`PicoList::with_max_capacity`](crate::PicoList::with_max_capacity) asks.
    Exact(usize),
}

/// The most address space a default list asks for: 64 GiB on 64-bit targets, 256 MiB on
/// 32-bit ones (whose whole address space is 2-4 GiB).
pub(crate) const DEFAULT_RESERVATION: usize = if usize::BITS >= 64 {
    // Written in u64 so that 32-bit targets, which take the other branch, still compile.
    (1u64 << 36) as usize
} else {
    1 << 28
};

/// The least a default list reserves, however short the budget (or the system) is.
pub(crate) const MIN_DEFAULT_RESERVATION: usize = if usize::BITS >= 64 { 1 << 26 } else { 1 << 24 };

/// The address space that lists together may reserve before default lists get smaller
/// reservations: 32 TiB on 64-bit targets (a quarter of the 128 TiB a process has on x86-64
/// Linux and Windows), 1 GiB on 32-bit ones.
pub(crate) const LIST_BUDGET: u64 = if usize::BITS >= 64 { 1 << 45 } else { 1 << 30 };

/// What a default list asks for: [`DEFAULT_RESERVATION`], or physical memory plus swap when
/// that is smaller (no list can hold more than the machine can back), but at least
/// [`MIN_DEFAULT_RESERVATION`]. Computed once per process.
pub(crate) fn default_target() -> usize {
    static TARGET: OnceLock<usize> = OnceLock::new();
    *TARGET.get_or_init(|| {
        let machine = crate::sys::memory_and_swap().map_or(usize::MAX, |bytes| {
            usize::try_from(bytes).unwrap_or(usize::MAX)
        });
        DEFAULT_RESERVATION
            .min(machine)
            .max(MIN_DEFAULT_RESERVATION)
    })
}

/// The address space lists may reserve together: [`LIST_BUDGET`], or half of the process's
/// address-space limit (`ulimit -v`) when that is smaller. Computed once per process.
#[cfg_attr(any(miri, not(any(unix, windows))), allow(dead_code))]
pub(crate) fn budget() -> u64 {
    static BUDGET: OnceLock<u64> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        crate::sys::address_space_limit().map_or(LIST_BUDGET, |limit| LIST_BUDGET.min(limit / 2))
    })
}

/// The size a default list reserves when lists already hold `in_use` bytes of address space:
/// `target`, halved while it exceeds what is left of the `budget`, down to
/// [`MIN_DEFAULT_RESERVATION`] (which is granted even past the budget).
#[cfg_attr(any(miri, not(any(unix, windows))), allow(dead_code))]
pub(crate) fn default_size(target: usize, in_use: u64, budget: u64) -> usize {
    let left = budget.saturating_sub(in_use);
    let mut size = target;
    while size as u64 > left && size / 2 >= MIN_DEFAULT_RESERVATION {
        size /= 2;
    }
    if size as u64 > left {
        size.min(MIN_DEFAULT_RESERVATION)
    } else {
        size
    }
}

/// The first commit, and the smallest step: 64 KiB.
const MIN_COMMIT_STEP: usize = 1 << 16;

/// The commit grows by doubling up to this step, then in steps of this size, so the committed
/// size stays within 64 MiB of what the list needs.
const MAX_COMMIT_STEP: usize = 1 << 26;

/// `truncate` gives memory back only when at least this much committed memory lies past the new
/// length, so that a list hovering around one size does not decommit and recommit each time.
const GIVE_BACK_THRESHOLD: usize = 1 << 20;

/// The committed size to grow to when `needed` bytes are wanted and `committed` are held:
/// geometric (doubling) growth, with steps capped at [`MAX_COMMIT_STEP`], rounded to `unit`,
/// and never past `reserved`.
fn next_commit(committed: usize, needed: usize, unit: usize, reserved: usize) -> usize {
    let step = committed.clamp(MIN_COMMIT_STEP, MAX_COMMIT_STEP);
    let target = needed.max(committed.saturating_add(step));
    round_up(target, unit).unwrap_or(usize::MAX).min(reserved)
}

/// What to keep committed after shrinking to `keep` bytes, or `None` when giving back is not
/// worth it (less than [`GIVE_BACK_THRESHOLD`] would be freed, unless `force`).
fn shrunk_commit(committed: usize, keep: usize, unit: usize, force: bool) -> Option<usize> {
    let target = round_up(keep, unit)?;
    if target >= committed {
        return None;
    }
    if force || committed - target >= GIVE_BACK_THRESHOLD {
        Some(target)
    } else {
        None
    }
}

/// Rounds `bytes` up to a multiple of the power of two `unit`; `None` on overflow.
fn round_up(bytes: usize, unit: usize) -> Option<usize> {
    debug_assert!(unit.is_power_of_two());
    Some(bytes.checked_add(unit - 1)? & !(unit - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_grows_geometrically_then_in_capped_steps() {
        let unit = 4096;
        let reserved = 1 << 36;
        assert_eq!(next_commit(0, 1, unit, reserved), MIN_COMMIT_STEP);
        assert_eq!(next_commit(1 << 20, (1 << 20) + 1, unit, reserved), 2 << 20);
        let big = 1 << 30;
        assert_eq!(
            next_commit(big, big + 1, unit, reserved),
            big + MAX_COMMIT_STEP
        );
        // A large request is honoured whole, rounded to the unit.
        assert_eq!(
            next_commit(0, 5 << 30 | 1, unit, reserved),
            (5 << 30) + unit
        );
        // Never past the reservation.
        assert_eq!(
            next_commit(reserved - 10, reserved, unit, reserved),
            reserved
        );
    }

    #[test]
    fn default_lists_share_the_budget_and_keep_a_floor() {
        let target = 23 << 30;
        let budget = 1 << 45;
        assert_eq!(default_size(target, 0, budget), target);
        assert_eq!(default_size(target, budget - target as u64, budget), target);
        // Halved until it fits what is left of the budget.
        let left = 5 << 30;
        let size = default_size(target, budget - left, budget);
        assert!(size as u64 <= left && size as u64 > left / 2, "{size}");
        // Past the budget, the floor.
        assert_eq!(
            default_size(target, budget, budget),
            MIN_DEFAULT_RESERVATION
        );
        assert_eq!(
            default_size(target, u64::MAX, budget),
            MIN_DEFAULT_RESERVATION
        );
        // A target at or below the floor is never halved.
        assert_eq!(
            default_size(MIN_DEFAULT_RESERVATION, budget, budget),
            MIN_DEFAULT_RESERVATION
        );
    }

    #[test]
    fn the_default_target_is_bounded_by_the_machine() {
        let target = default_target();
        assert!((MIN_DEFAULT_RESERVATION..=DEFAULT_RESERVATION).contains(&target));
        if let Some(machine) = crate::sys::memory_and_swap() {
            assert!(target as u64 <= machine.max(MIN_DEFAULT_RESERVATION as u64));
        }
    }

    #[test]
    fn shrinking_needs_the_threshold_unless_forced() {
        let unit = 4096;
        assert_eq!(shrunk_commit(8 << 20, 0, unit, false), Some(0));
        assert_eq!(shrunk_commit(8 << 20, (8 << 20) - 5000, unit, false), None);
        assert_eq!(
            shrunk_commit(8 << 20, (8 << 20) - 5000, unit, true),
            Some((8 << 20) - 4096)
        );
        assert_eq!(shrunk_commit(4096, 4096, unit, true), None);
    }
}
