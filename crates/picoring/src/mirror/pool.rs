//! The pool of released mirrors: a few small mirrors kept per thread for the next ring of the
//! same size, so a program that creates many short-lived rings skips the system calls.
//!
//! Kept here is what [`MirrorBuffer`](super::MirrorBuffer)'s drop gives back, when all of this
//! holds: the mirror is one of the operating system's (not the software mirror), at most
//! [`MAX_MIRROR_BYTES`] long, created with [`MirrorOptions::pooled`](super::MirrorOptions::pooled)
//! left on, and the dropping thread's pool has room ([`LIMITS`]: 8 mirrors, 1 MiB).
//! Otherwise the mirror is unmapped, as without a pool.
//!
//! **Invisible to the rings.** A mirror enters the pool zeroed, then checked to be still
//! mirrored (a byte written through the first half must read back through the second); one
//! that fails the check is unmapped instead. So a ring made from the pool starts as a fresh one
//! does: every byte zero, both halves the same memory. Zeroing writes the physical bytes once,
//! which costs about what a `memset` of N bytes does; the pages stay resident while pooled (at
//! most 1 MiB per thread).
//!
//! **Per thread, no lock.** Each thread has its own pool (the crate's `pool` module: a bounded
//! thread-local cache), so taking and giving back take no lock and never contend; a ring dropped on another thread than the one
//! that made it goes to the dropping thread's pool. A thread's pool is unmapped when the thread
//! exits.
//!
//! **`fork()`.** Pooled mirrors stay registered with the fork handlers (`fork.rs`), so a forked
//! child gets its own copy of them as of every live mirror and never shares one with its
//! parent. The child does not reuse its copies all the same: each pool remembers the fork
//! generation it was filled in, which the child handler advances, and a pool from before the
//! fork is unmapped on its first use in the child. (The copy might have failed, leaving an
//! inaccessible mapping the pool must not touch.) The copy makes `fork()` cost up to
//! 1 MiB more per thread with a full pool; [`trim_pool`](super::trim_pool) empties the
//! calling thread's pool first where that matters.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use super::{fork, Backend};
use crate::pool::{self as cache, Limits, Pool, Pooled};

/// The largest mirror the pool keeps, in physical bytes: 256 KiB. Zeroing a larger one on drop
/// would cost more than the system calls it saves.
pub(super) const MAX_MIRROR_BYTES: usize = 256 * 1024;
/// What one thread's pool holds: at most 8 mirrors and 1 MiB of physical bytes.
const LIMITS: Limits = Limits {
    count: 8,
    bytes: 1024 * 1024,
};

/// A released mirror: the base of its 2 * `len` region and the backend that mapped it. Owned
/// by the pool; unmapped when dropped.
struct Entry {
    ptr: NonNull<u8>,
    len: usize,
    backend: Backend,
}

impl Pooled for Entry {
    fn bytes(&self) -> usize {
        self.len
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        // SAFETY: a whole mirror its backend mapped, owned by the entry alone (the pool's, or
        // refused by it), and unmapped once: the entry is being dropped.
        unsafe { super::unmap(self.backend, self.ptr, self.len) };
    }
}

thread_local! {
    static POOL: std::cell::RefCell<Pool<Entry>> = const { std::cell::RefCell::new(Pool::new()) };
}

/// A pooled mirror of physical size `len`, of `backend` if one is asked for; it is zeroed and
/// mirrored, and the caller now owns it.
pub(super) fn take(len: usize, backend: Option<Backend>) -> Option<(NonNull<u8>, Backend)> {
    if len > MAX_MIRROR_BYTES {
        return None;
    }
    let entry = cache::take(&POOL, fork::generation(), |e: &Entry| {
        e.len == len && backend.map_or(true, |b| b == e.backend)
    })?;
    // The caller owns the mirror now: the entry must not unmap it.
    let entry = ManuallyDrop::new(entry);
    Some((entry.ptr, entry.backend))
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
    let entry = Entry { ptr, len, backend };
    // SAFETY: forwarded from the caller (a live mirror nothing references).
    let admit = |e: &Entry| unsafe { scrub(e.ptr, e.len) };
    match cache::give(&POOL, fork::generation(), LIMITS, entry, admit) {
        Ok(()) => true,
        Err(refused) => {
            // The caller keeps ownership and unmaps it.
            std::mem::forget(refused);
            false
        }
    }
}

/// Unmaps this thread's pooled mirrors; returns how many there were.
pub(super) fn trim() -> usize {
    cache::trim(&POOL, fork::generation())
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
