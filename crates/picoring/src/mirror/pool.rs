//! The pool of released mirrors: a few small mirrors kept per thread for the next ring of the
//! same size, so a program that creates many short-lived rings skips the system calls.
//!
//! Kept here is what [`MirrorBuffer`](super::MirrorBuffer)'s drop gives back, when all of this
//! holds: the mirror is one of the operating system's (not the software mirror), at most
//! [`MAX_MIRROR_BYTES`] long, created with [`MirrorOptions::pooled`](super::MirrorOptions::pooled)
//! left on, and the dropping thread's pool has room ([`MAX_COUNT`] mirrors, [`MAX_BYTES`] bytes).
//! Otherwise the mirror is unmapped, as without a pool.
//!
//! **Invisible to the rings.** A mirror enters the pool zeroed, then checked to be still
//! mirrored (a byte written through the first half must read back through the second); one
//! that fails the check is unmapped instead. So a ring made from the pool starts as a fresh one
//! does: every byte zero, both halves the same memory. Zeroing writes the physical bytes once,
//! which costs about what a `memset` of N bytes does; the pages stay resident while pooled (at
//! most [`MAX_BYTES`] per thread).
//!
//! **Per thread, no lock.** Each thread has its own pool (a thread-local list), so taking and
//! giving back take no lock and never contend; a ring dropped on another thread than the one
//! that made it goes to the dropping thread's pool. A thread's pool is unmapped when the thread
//! exits.
//!
//! **`fork()`.** Pooled mirrors stay registered with the fork handlers (`fork.rs`), so a forked
//! child gets its own copy of them as of every live mirror and never shares one with its
//! parent. The child does not reuse its copies all the same: each pool remembers the fork
//! generation it was filled in, which the child handler advances, and a pool from before the
//! fork is unmapped on its first use in the child. (The copy might have failed, leaving an
//! inaccessible mapping the pool must not touch.) The copy makes `fork()` cost up to
//! [`MAX_BYTES`] more per thread with a full pool; [`trim_pool`](super::trim_pool) empties the
//! calling thread's pool first where that matters.

use std::cell::RefCell;
use std::ptr::NonNull;

use super::{fork, Backend};

/// The largest mirror the pool keeps, in physical bytes: 256 KiB. Zeroing a larger one on drop
/// would cost more than the system calls it saves.
pub(super) const MAX_MIRROR_BYTES: usize = 256 * 1024;
/// The most physical bytes one thread's pool holds: 1 MiB.
pub(super) const MAX_BYTES: usize = 1024 * 1024;
/// The most mirrors one thread's pool holds.
pub(super) const MAX_COUNT: usize = 8;

/// A released mirror: the base of its 2 * `len` region and the backend that mapped it.
struct Entry {
    ptr: NonNull<u8>,
    len: usize,
    backend: Backend,
}

/// One thread's released mirrors.
struct Pool {
    entries: Vec<Entry>,
    /// The sum of the entries' `len`.
    bytes: usize,
    /// [`fork::generation`] when the entries were added; another value means this process is
    /// a child forked since, where they must not be reused.
    generation: u64,
}

impl Pool {
    /// The pool, emptied first if this process was forked since it was filled.
    fn current(&mut self) -> &mut Pool {
        let now = fork::generation();
        if self.generation != now {
            self.clear();
            self.generation = now;
        }
        self
    }

    /// Unmaps every entry; returns how many there were.
    fn clear(&mut self) -> usize {
        let count = self.entries.len();
        for entry in self.entries.drain(..) {
            // SAFETY: a whole mirror its backend mapped, owned by the pool alone, and unmapped
            // once: it has just left the list.
            unsafe { super::unmap(entry.backend, entry.ptr, entry.len) };
        }
        self.bytes = 0;
        count
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.clear();
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { entries: Vec::new(), bytes: 0, generation: 0 })
    };
}

/// Runs `f` on this thread's pool; `None` while the thread is exiting (its pool is gone) or
/// from inside another call here.
fn with_pool<R>(f: impl FnOnce(&mut Pool) -> R) -> Option<R> {
    POOL.try_with(|pool| pool.try_borrow_mut().ok().map(|mut pool| f(pool.current())))
        .ok()
        .flatten()
}

/// A pooled mirror of physical size `len`, of `backend` if one is asked for; it is zeroed and
/// mirrored, and the caller now owns it.
pub(super) fn take(len: usize, backend: Option<Backend>) -> Option<(NonNull<u8>, Backend)> {
    if len > MAX_MIRROR_BYTES {
        return None;
    }
    with_pool(|pool| {
        let i = pool
            .entries
            .iter()
            .rposition(|e| e.len == len && backend.map_or(true, |b| b == e.backend))?;
        let entry = pool.entries.swap_remove(i);
        pool.bytes -= entry.len;
        Some((entry.ptr, entry.backend))
    })
    .flatten()
}

/// Offers a released mirror to this thread's pool; `false` when it is not kept (the caller
/// then unmaps it).
///
/// # Safety
///
/// `ptr` is the base of a live 2 * `len` mirror that `backend` mapped (an operating-system
/// backend), nothing references it any more, and the caller gives up its ownership if this
/// returns `true`.
pub(super) unsafe fn give(ptr: NonNull<u8>, len: usize, backend: Backend) -> bool {
    if len > MAX_MIRROR_BYTES || !backend.is_hardware() {
        return false;
    }
    with_pool(|pool| {
        if pool.entries.len() >= MAX_COUNT || pool.bytes + len > MAX_BYTES {
            return false;
        }
        // SAFETY: forwarded from the caller.
        if !unsafe { scrub(ptr, len) } {
            return false;
        }
        // The list's one allocation, on the first mirror kept.
        pool.entries.reserve_exact(MAX_COUNT);
        pool.entries.push(Entry { ptr, len, backend });
        pool.bytes += len;
        true
    })
    .unwrap_or(false)
}

/// Unmaps this thread's pooled mirrors; returns how many there were.
pub(super) fn trim() -> usize {
    with_pool(Pool::clear).unwrap_or(0)
}

/// Zeroes the mirror at `ptr` and checks that its halves are still the same memory.
///
/// # Safety
///
/// `ptr` is the base of a live, read-write 2 * `len` mirror that nothing references.
unsafe fn scrub(ptr: NonNull<u8>, len: usize) -> bool {
    let base = ptr.as_ptr();
    // SAFETY: the first half is `len` bytes of ours that nothing references (the caller's
    // contract); it is the second half too.
    unsafe { std::ptr::write_bytes(base, 0, len) };
    // Volatile: the compiler must not assume the two halves are different memory.
    // SAFETY: byte 0 and byte `len` lie inside the mirror, per the caller.
    unsafe {
        base.write_volatile(1);
        let twin = base.add(len).read_volatile();
        base.write_volatile(0);
        twin == 1
    }
}
