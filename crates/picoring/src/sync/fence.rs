//! The two halves of the wakeup handshake's store-load fence, made asymmetric where the OS
//! allows it.
//!
//! A notifier (on every push, pop, commit and release) must order its index store before its
//! load of the waiter count, and a waiter must order its registration before re-reading the
//! index. Plain `SeqCst` fences on both sides cost an `mfence` (about 10 ns) on every fast-path
//! operation. On Linux, `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` lets the rare side (the
//! waiter) force a full barrier on every running thread of the process, so the fast side only
//! needs a compiler fence: the same pairing the kernel documents for `membarrier(2)`. Where the
//! call is refused (kernels before 4.14, seccomp), both sides use `SeqCst` fences; a refusal
//! after rings already relied on it switches the process over once (see `imp::heavy`). Under
//! loom and Miri, always `SeqCst` fences, which the model checks.

use std::time::Instant;

/// What the waiter's half achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(all(target_os = "linux", not(loom), not(miri))),
    allow(dead_code) // only the membarrier pairing can be settling
)]
pub(crate) enum Barrier {
    /// The handshake holds: a notifier fenced after this either sees the waiter or was seen.
    Complete,
    /// The process is switching from the asymmetric pair to plain fences: notifiers that
    /// chose the compiler fence before the switch may have their index store still in
    /// flight. A waiter must not sleep past this instant without checking its condition
    /// again (by then the store is visible, and every notifier uses the full fence).
    Settling(Instant),
}

#[cfg(not(all(target_os = "linux", not(loom), not(miri))))]
mod imp {
    #[cfg(loom)]
    use loom::sync::atomic::{fence, Ordering};
    #[cfg(not(loom))]
    use std::sync::atomic::{fence, Ordering};

    use super::Barrier;

    pub(crate) fn prepare() {}

    #[inline(always)]
    pub(crate) fn light() {
        fence(Ordering::SeqCst);
    }

    pub(crate) fn heavy() -> Barrier {
        fence(Ordering::SeqCst);
        Barrier::Complete
    }
}

#[cfg(all(target_os = "linux", not(loom), not(miri)))]
mod imp {
    use std::sync::atomic::{compiler_fence, fence, AtomicU8, Ordering};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use super::Barrier;
    use crate::sys::linux::{
        membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
    };

    const UNKNOWN: u8 = 0;
    const ASYMMETRIC: u8 = 1;
    const SYMMETRIC: u8 = 2;

    /// Whether notifiers may use the compiler fence. Moves from `UNKNOWN` to `ASYMMETRIC` or
    /// `SYMMETRIC` when the first ring is created, and from `ASYMMETRIC` to `SYMMETRIC` if a
    /// membarrier is ever refused later (a seccomp filter installed after the first ring);
    /// never back.
    static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

    /// When the switch from `ASYMMETRIC` to `SYMMETRIC` happened; set (once) before `MODE`
    /// changes, so whoever reads `SYMMETRIC` with `Acquire` finds it.
    static SWITCHED_AT: OnceLock<Instant> = OnceLock::new();

    /// How long after the switch a notifier that chose the compiler fence before it can still
    /// have an index store that others do not see: see `heavy`. Orders of magnitude above what
    /// any store buffer holds a store, paid at most once per wait that starts within it.
    const SETTLE: Duration = Duration::from_millis(20);

    /// Registers the process once; called when a ring is created, before either end exists.
    pub(crate) fn prepare() {
        if MODE.load(Ordering::Acquire) != UNKNOWN {
            return;
        }
        let ok = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
        // Racing first calls agree: registration is idempotent, and its result is the same;
        // a failed one (seccomp) happens before any ring exists, so nothing used the
        // compiler fence yet. Never undo a switch to `SYMMETRIC`.
        let _ = MODE.compare_exchange(
            UNKNOWN,
            if ok { ASYMMETRIC } else { SYMMETRIC },
            Ordering::Release,
            Ordering::Relaxed,
        );
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
    ///
    /// The membarrier can fail after rings already relied on it: a seccomp filter installed
    /// after the first ring answers `EPERM`, and filters are per thread, so one thread may be
    /// refused while others are not. Then this waiter's re-check is not ordered against a
    /// notifier that used the compiler fence, and nothing can tell which notifiers did. So
    /// the first refusal switches the process, once, to full fences on both sides:
    ///
    /// 1. `SWITCHED_AT` is set, then `MODE` becomes `SYMMETRIC`: every notifier that reads
    ///    the new mode pairs its `SeqCst` fence with ours, the classic handshake.
    /// 2. A notifier that read the old mode stored its index before that read, and its store
    ///    reaches the other cores within the time a store buffer drains (nanoseconds; a
    ///    preemption or VM exit drains it at once). So for `SETTLE` after the switch, waits
    ///    report [`Barrier::Settling`]: the waiter stays registered but sleeps no later than
    ///    the end of the settling time, then checks again. By then every such store is
    ///    visible, and every notifier since reads `SYMMETRIC` (the mode has been stored for
    ///    far longer than coherence takes to spread it).
    ///
    /// A waiter that registered before the switch and whose membarrier succeeded needs
    /// nothing more: that barrier ordered it against every notifier, fast or not.
    ///
    /// A real barrier (an `mprotect` TLB-shootdown trick, `FlushProcessWriteBuffers`-style)
    /// would not do: on arm64 TLB invalidation is broadcast in hardware, interrupting no
    /// thread, so it orders nothing; and the filter that refuses membarrier may refuse
    /// `mprotect` too. loom cannot model this (it has no notion of a store becoming visible
    /// within a time); the models run with `SeqCst` fences on both sides, the protocol after
    /// the switch.
    pub(crate) fn heavy() -> Barrier {
        fence(Ordering::SeqCst);
        if MODE.load(Ordering::Acquire) == ASYMMETRIC {
            if membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
                return Barrier::Complete;
            }
            SWITCHED_AT.get_or_init(Instant::now);
            MODE.store(SYMMETRIC, Ordering::Release);
            fence(Ordering::SeqCst);
        }
        match SWITCHED_AT.get() {
            Some(&at) => match at.checked_add(SETTLE) {
                Some(settled) if Instant::now() < settled => Barrier::Settling(settled),
                _ => Barrier::Complete,
            },
            None => Barrier::Complete,
        }
    }
}

pub(crate) use imp::{heavy, light, prepare};
