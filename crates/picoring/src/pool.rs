//! A small bounded per-thread cache of released memory, so a program that creates and drops
//! many short-lived buffers skips the system calls that map and unmap them.
//!
//! Two kinds of memory use it, each with its own thread-local cache and its own policy: the
//! mirrors of the rings (`mirror/pool.rs`: which mirrors are kept, zeroed and checked) and the
//! reservations of [`PicoList`](crate::PicoList) (`list/reserve/native.rs`). This module only
//! keeps entries within the bounds it is given and hands them back.
//!
//! **Entries release themselves.** An entry owns its memory and gives it back to the
//! operating system when dropped, so an entry the cache refuses, or one it evicts (when the
//! thread exits, when the cache is trimmed, or after a `fork()` for a user that asks), is
//! released exactly once, by its own `Drop`.
//!
//! **Per thread, no lock.** Each cache is a `thread_local!` `RefCell`: taking and giving back
//! take no lock and never contend; memory released on another thread than the one that made it
//! goes to the releasing thread's cache. From inside another call on the same cache (an
//! entry's `Drop` that released into it) or while the thread exits, the cache is unavailable:
//! `take` finds nothing and `give` refuses.
//!
//! **Generations.** Each cache remembers the generation it was filled in; a caller passing
//! another generation (the mirrors pass their fork generation) finds it emptied first.

use std::cell::RefCell;
use std::thread::LocalKey;

/// What one thread's cache may hold.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The most entries.
    pub(crate) count: usize,
    /// The most [`Pooled::bytes`] over all entries.
    pub(crate) bytes: usize,
}

/// Memory a cache can keep: it releases itself on drop.
pub(crate) trait Pooled {
    /// What the entry counts against [`Limits::bytes`] (physical bytes it keeps).
    fn bytes(&self) -> usize;
}

/// One thread's cache.
pub(crate) struct Pool<E> {
    entries: Vec<E>,
    /// The sum of the entries' [`Pooled::bytes`].
    bytes: usize,
    /// The generation the entries were added in.
    generation: u64,
}

impl<E> Pool<E> {
    /// An empty cache, for a `thread_local!` initialiser.
    pub(crate) const fn new() -> Self {
        Pool {
            entries: Vec::new(),
            bytes: 0,
            generation: 0,
        }
    }

    /// Takes every entry out (the caller drops them once the cache is no longer borrowed).
    fn drain(&mut self) -> Vec<E> {
        self.bytes = 0;
        std::mem::take(&mut self.entries)
    }
}

/// A thread's cache, as declared with `thread_local!`.
pub(crate) type Key<E> = LocalKey<RefCell<Pool<E>>>;

/// Runs `f` on this thread's cache, emptied first if it was filled in another `generation`;
/// `None` while the thread is exiting or from inside another call on the same cache.
fn with<E, R>(
    key: &'static Key<E>,
    generation: u64,
    f: impl FnOnce(&mut Pool<E>) -> R,
) -> Option<R> {
    key.try_with(|cell| {
        let stale = {
            let mut pool = cell.try_borrow_mut().ok()?;
            if pool.generation == generation {
                return Some(f(&mut pool));
            }
            pool.generation = generation;
            pool.drain()
        };
        // Released outside the borrow, so that no entry's `Drop` runs inside it.
        drop(stale);
        let mut pool = cell.try_borrow_mut().ok()?;
        Some(f(&mut pool))
    })
    .ok()
    .flatten()
}

/// Takes the most recently given entry that `wanted` accepts, if any; the caller now owns it.
pub(crate) fn take<E>(
    key: &'static Key<E>,
    generation: u64,
    wanted: impl Fn(&E) -> bool,
) -> Option<E>
where
    E: Pooled,
{
    with(key, generation, |pool| {
        let i = pool.entries.iter().rposition(&wanted)?;
        let entry = pool.entries.swap_remove(i);
        pool.bytes -= entry.bytes();
        Some(entry)
    })
    .flatten()
}

/// Offers `entry` to this thread's cache: kept if the cache has room within `limits` and
/// `admit` (called only then, to scrub or check the entry) says yes; otherwise handed back, for
/// the caller to release.
pub(crate) fn give<E: Pooled>(
    key: &'static Key<E>,
    generation: u64,
    limits: Limits,
    entry: E,
    admit: impl FnOnce(&E) -> bool,
) -> Result<(), E> {
    let mut entry = Some(entry);
    with(key, generation, |pool| {
        let fits = |e: &E| {
            pool.entries.len() < limits.count
                && pool.bytes.saturating_add(e.bytes()) <= limits.bytes
        };
        if let Some(e) = entry.take() {
            if fits(&e) && admit(&e) {
                // The cache's one allocation, on the first entry kept.
                pool.entries.reserve_exact(limits.count);
                pool.bytes += e.bytes();
                pool.entries.push(e);
            } else {
                entry = Some(e);
            }
        }
    });
    entry.map_or(Ok(()), Err)
}

/// Releases this thread's cached entries; returns how many there were.
pub(crate) fn trim<E>(key: &'static Key<E>, generation: u64) -> usize {
    let entries = with(key, generation, Pool::drain).unwrap_or_default();
    entries.len()
}
