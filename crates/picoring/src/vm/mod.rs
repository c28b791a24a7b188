//! Reserve-then-commit memory for [`PicoList`](crate::PicoList): a large range of address space is
//! reserved once, and physical memory is committed at its front as the list grows, so the data
//! never moves.
//!
//! Each platform lives in one file behind the same small private interface, chosen by `cfg` here:
//!
//! | file | where | reserve / commit / give back | status |
//! |---|---|---|---|
//! | `unix.rs` | Linux, macOS, other unix | `mmap(PROT_NONE, MAP_NORESERVE)` / `mprotect(READ\|WRITE)` / `madvise(MADV_DONTNEED)` + `mprotect(PROT_NONE)` | tested on Linux; compile-checked on macOS |
//! | `windows.rs` | Windows | `VirtualAlloc(MEM_RESERVE)` / `VirtualAlloc(MEM_COMMIT)` / `VirtualFree(MEM_DECOMMIT)` | compile-checked only |
//! | `heap.rs` | under Miri and on targets with neither | a heap allocation grown like a `Vec`: it MOVES | tested, also under Miri |
//!
//! Committing does not touch pages: committed memory that was never written costs no physical
//! memory (no RSS), so physical use tracks the list's length, not its committed capacity.

use crate::Error;

#[cfg(any(miri, not(any(unix, windows))))]
mod heap;
#[cfg(all(any(unix, windows), not(miri)))]
mod native;
#[cfg(all(unix, not(miri)))]
mod unix;
#[cfg(all(windows, not(miri)))]
mod windows;

#[cfg(any(miri, not(any(unix, windows))))]
pub(crate) use heap::Region;
#[cfg(all(any(unix, windows), not(miri)))]
pub(crate) use native::Region;

/// The address space [`PicoList::new`](crate::PicoList::new) asks for first: 64 GiB on 64-bit
/// targets, 1 GiB on 32-bit ones. With `MAP_NORESERVE` / `MEM_RESERVE` this costs no memory.
pub(crate) const DEFAULT_RESERVATION: usize = if usize::BITS >= 64 {
    // Written in u64 so that 32-bit targets, which take the other branch, still compile.
    (1u64 << 36) as usize
} else {
    1 << 30
};

/// When the default reservation is refused (a `ulimit -v`, a small address space), `new` halves
/// the request down to this floor before giving up.
pub(crate) const MIN_DEFAULT_RESERVATION: usize = 1 << 26;

/// Reserves the default address space for [`PicoList::new`](crate::PicoList::new):
/// [`DEFAULT_RESERVATION`], halved on each refusal down to [`MIN_DEFAULT_RESERVATION`].
pub(crate) fn reserve_default(align: usize) -> Result<Region, Error> {
    let mut bytes = DEFAULT_RESERVATION;
    loop {
        match Region::reserve(bytes, align) {
            Err(Error::Os { .. }) if bytes / 2 >= MIN_DEFAULT_RESERVATION => bytes /= 2,
            result => return result,
        }
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
