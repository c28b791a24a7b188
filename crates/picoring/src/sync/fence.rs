//! The two halves of the wakeup handshake's store-load fence, made asymmetric where the OS
//! allows it.
//!
//! A notifier (on every push, pop, commit and release) must order its index store before its
//! load of the waiter count, and a waiter must order its registration before re-reading the
//! index. Plain `SeqCst` fences on both sides cost an `mfence` (about 10 ns) on every fast-path
//! operation. On Linux, `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` lets the rare side (the
//! waiter) force a full barrier on every running thread of the process, so the fast side only
//! needs a compiler fence: the same pairing the kernel documents for `membarrier(2)`. Where the
//! call is refused (kernels before 4.14, seccomp), both sides use `SeqCst` fences. Under loom
//! and Miri, always `SeqCst` fences, which the model checks.

#[cfg(not(all(target_os = "linux", not(loom), not(miri))))]
mod imp {
    #[cfg(loom)]
    use loom::sync::atomic::{fence, Ordering};
    #[cfg(not(loom))]
    use std::sync::atomic::{fence, Ordering};

    pub(crate) fn prepare() {}

    #[inline(always)]
    pub(crate) fn light() {
        fence(Ordering::SeqCst);
    }

    pub(crate) fn heavy() {
        fence(Ordering::SeqCst);
    }
}

#[cfg(all(target_os = "linux", not(loom), not(miri)))]
mod imp {
    use std::sync::atomic::{compiler_fence, fence, AtomicU8, Ordering};

    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    const UNKNOWN: u8 = 0;
    const ASYMMETRIC: u8 = 1;
    const SYMMETRIC: u8 = 2;

    /// Whether this process registered for expedited private membarriers. Only ever moves
    /// from `UNKNOWN` to one of the others, before any ring of the process can wait.
    static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

    /// Registers the process once; called when a ring is created, before either end exists.
    pub(crate) fn prepare() {
        if MODE.load(Ordering::Acquire) != UNKNOWN {
            return;
        }
        // SAFETY: membarrier takes two integer arguments and touches no memory of ours.
        let ok = unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                0 as libc::c_long,
            )
        } == 0;
        // Racing first calls agree: registration is idempotent, and its result is the same.
        MODE.store(if ok { ASYMMETRIC } else { SYMMETRIC }, Ordering::Release);
    }

    /// Fast-path half: a compiler fence when the waiter's half is a membarrier.
    #[inline(always)]
    pub(crate) fn light() {
        if MODE.load(Ordering::Relaxed) == ASYMMETRIC {
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// Slow-path half: a barrier on every running thread of the process.
    pub(crate) fn heavy() {
        fence(Ordering::SeqCst);
        if MODE.load(Ordering::Relaxed) == ASYMMETRIC {
            // SAFETY: as in `prepare`.
            let done = unsafe {
                libc::syscall(
                    libc::SYS_membarrier,
                    MEMBARRIER_CMD_PRIVATE_EXPEDITED,
                    0 as libc::c_long,
                )
            };
            // After a successful registration the call cannot fail: its only errors are
            // "not registered" and "unknown command", both ruled out by `prepare`.
            debug_assert_eq!(done, 0);
        }
    }
}

pub(crate) use imp::{heavy, light, prepare};
