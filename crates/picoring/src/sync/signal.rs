//! [`Signal`]: sleep until another thread makes progress, without spinning, and without making
//! the other thread's fast path take a lock.

#[cfg(feature = "async")]
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::fence::Barrier;
use super::{AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};

/// How many times a waiter yields its time slice, re-checking, before it goes to sleep: a
/// thread that is about to make progress often just needs the CPU, and a futex sleep and
/// wakeup costs microseconds. Yielding, not busy spinning: the CPU goes to other threads.
#[cfg(not(loom))]
const YIELDS_BEFORE_SLEEP: u32 = 8;

/// A wakeup channel between the threads that make progress (publish data, free space) and the
/// threads that wait for it.
///
/// Protocol (a Dekker handshake): a waiter registers in `waiters`, issues a full fence, then
/// re-checks its condition before sleeping; a notifier first publishes its progress, issues a
/// full fence, then reads `waiters`. The fences are totally ordered, so either the waiter's
/// re-check sees the progress or the notifier sees the waiter and wakes it. The notifier's
/// fence is the cheap half of an asymmetric pair where the OS offers one (see `fence.rs`). The notifier takes
/// the mutex only when someone waits; the waiter holds it from registering until the condvar
/// releases it, so a wakeup can never fall between its re-check and its sleep. With the `async`
/// feature, a task's waker registers the same way (see `poll_until`).
#[derive(Debug)]
pub(crate) struct Signal {
    /// Threads registered as (about to be) asleep on `cond`, plus [`TASK`] while a task is
    /// registered; the thread count changes only under `lock`, the task bit only under `task`.
    waiters: AtomicUsize,
    lock: Mutex<()>,
    cond: Condvar,
    /// The task waiting asynchronously, if any (a ring end has one poller at a time, through
    /// `&mut`). While set it counts as one of `waiters`, so `notify` wakes it at no cost to
    /// the fast path; `wake` takes it out and uncounts it. Changed only under its own mutex.
    #[cfg(feature = "async")]
    task: Mutex<Option<Waker>>,
}

/// The bit of `Signal::waiters` that stands for a registered task; the bits below count
/// sleeping threads (never anywhere near 2^31 of them).
#[cfg(feature = "async")]
const TASK: usize = 1 << (usize::BITS - 1);

impl Signal {
    pub(crate) fn new() -> Self {
        super::fence::prepare();
        Signal {
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            cond: Condvar::new(),
            #[cfg(feature = "async")]
            task: Mutex::new(None),
        }
    }

    /// Called after publishing progress: wakes the waiters, if any. One fence and one load when
    /// nobody waits.
    #[inline]
    pub(crate) fn notify(&self) {
        super::fence::light();
        if self.waiters.load(Ordering::Relaxed) != 0 {
            self.wake();
        }
    }

    /// Called after publishing progress, for a notifier that wakes only when it judges the
    /// progress worth it: the same fence as [`notify`](Self::notify), then whether anyone
    /// waits. A caller that gets `true` and does not [`wake`](Self::wake) now must wake later
    /// (its waiters stay registered until then).
    #[inline]
    pub(crate) fn has_waiters(&self) -> bool {
        super::fence::light();
        self.waiters.load(Ordering::Relaxed) != 0
    }

    /// Wakes every waiter.
    #[cold]
    pub(crate) fn wake(&self) {
        #[cfg(feature = "async")]
        {
            // Only a task waits: skip the condition variable, whose notify is a system call
            // even when no thread sleeps on it. A thread registering after this load re-checks
            // its condition after its fence and sees the progress (the handshake above), just
            // as if `notify` had read `waiters` before the registration.
            if self.waiters.load(Ordering::Relaxed) & TASK != 0 {
                self.wake_task();
                if self.waiters.load(Ordering::Relaxed) & !TASK == 0 {
                    return;
                }
            }
        }
        let _guard = self.lock();
        self.cond.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data, so a panic elsewhere cannot leave anything inconsistent.
        self.lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Blocks until `ready` returns `Some`, or until `deadline` passes (`None` then).
    ///
    /// `ready` must read the shared state it depends on with at least `Acquire` ordering; it is
    /// called again after every wakeup, spurious or not.
    pub(crate) fn wait_until<R>(
        &self,
        deadline: Option<Instant>,
        ready: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        self.wait_announcing(deadline, || {}, ready)
    }

    /// As [`wait_until`](Self::wait_until), calling `announce` before each fenced re-check of
    /// `ready`, while registered and holding the wait lock: a waiter tells notifiers what it
    /// waits for (the MPSC senders publish how much space they need). A notifier that fences
    /// after the waiter's fence sees the announcement (or a later value of what it wrote), and
    /// a notifier that overwrites it and then calls [`wake`](Self::wake) wakes this waiter,
    /// which then announces again: `wake` takes the lock, which the waiter holds from its
    /// announcement until the condition variable releases it.
    pub(crate) fn wait_announcing<R>(
        &self,
        deadline: Option<Instant>,
        mut announce: impl FnMut(),
        mut ready: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        if let Some(result) = ready() {
            return Some(result);
        }
        #[cfg(not(loom))]
        for _ in 0..YIELDS_BEFORE_SLEEP {
            std::thread::yield_now();
            if let Some(result) = ready() {
                return Some(result);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        let mut guard = self.lock();
        self.waiters.fetch_add(1, Ordering::Relaxed);
        // Unregisters when dropped, before `guard` (declared later, dropped first), so under
        // the lock even if `announce` or `ready` panics: no waiter count stays raised.
        let registered = Registered(&self.waiters);
        let result = loop {
            announce();
            let barrier = super::fence::heavy();
            if let Some(result) = ready() {
                break Some(result);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break None;
            }
            // While the process switches fence protocols, a notifier's progress may reach us
            // without a wakeup: sleep no later than the switch settles, then check again.
            let wake_by = match barrier {
                Barrier::Complete => deadline,
                Barrier::Settling(settled) => Some(deadline.map_or(settled, |d| d.min(settled))),
            };
            guard = match wake_by {
                None => self
                    .cond
                    .wait(guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(wake_by) => {
                    let now = Instant::now();
                    if now >= wake_by {
                        continue;
                    }
                    self.cond
                        .wait_timeout(guard, wake_by - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
            };
        };
        drop(registered);
        drop(guard);
        result
    }
}

/// One thread counted in `Signal::waiters`; uncounts it when dropped.
struct Registered<'a>(&'a AtomicUsize);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(feature = "async")]
impl Signal {
    fn task(&self) -> MutexGuard<'_, Option<Waker>> {
        // A panicking waker clone leaves either the old waker or none: both are consistent.
        self.task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes the registered task, if any, and unregisters it.
    fn wake_task(&self) {
        let waker = {
            let mut task = self.task();
            let waker = task.take();
            if waker.is_some() {
                self.waiters.fetch_sub(TASK, Ordering::Relaxed);
            }
            waker
        };
        // Outside the lock: a waker may run arbitrary code.
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The async form of [`wait_until`](Self::wait_until): `Ready` when `ready` returns `Some`;
    /// otherwise registers the task's waker, then re-checks (the same Dekker handshake), so a
    /// notify racing with the registration either is seen by the re-check or wakes the task.
    /// A registration outlives a `Ready` re-check or a dropped future; the next notify then
    /// costs one lock and a spurious wakeup, and removes it.
    ///
    /// A task still registered from an earlier poll only swaps in its current waker and skips
    /// the heavy fence: every notify fenced after that registration's fence is bound to wake
    /// it, since none has taken the waker yet. Spurious re-polls (a `select!` woken by another
    /// branch) then cost a lock, not a process-wide barrier.
    pub(crate) fn poll_until<R>(
        &self,
        cx: &mut Context<'_>,
        mut ready: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        if let Some(result) = ready() {
            return Poll::Ready(result);
        }
        let newly_registered = {
            let mut task = self.task();
            match task.as_mut() {
                Some(waker) => {
                    if !waker.will_wake(cx.waker()) {
                        *waker = cx.waker().clone();
                    }
                    false
                }
                None => {
                    *task = Some(cx.waker().clone());
                    self.waiters.fetch_add(TASK, Ordering::Relaxed);
                    true
                }
            }
        };
        let barrier = if newly_registered {
            super::fence::heavy()
        } else {
            Barrier::Complete
        };
        match ready() {
            Some(result) => Poll::Ready(result),
            None => {
                if let Barrier::Settling(settled) = barrier {
                    poll_again_at(cx.waker().clone(), settled);
                }
                Poll::Pending
            }
        }
    }
}

/// Wakes `waker` at `when`, for a task whose registration happened while the process was
/// switching fence protocols (see `fence.rs`): it must check its condition again once the
/// switch has settled, wakeup or not. Happens at most for the polls in one short window of a
/// process's life, so a short-lived thread is fine; if none can be started, this poll sleeps
/// out the rest of the window (milliseconds, once) and wakes the task itself.
#[cfg(feature = "async")]
pub(crate) fn poll_again_at(waker: Waker, when: Instant) {
    #[cfg(not(loom))]
    {
        let spare = waker.clone();
        let timer = std::thread::Builder::new()
            .name("picoring-settle".into())
            .spawn(move || {
                std::thread::sleep(when.saturating_duration_since(Instant::now()));
                waker.wake();
            });
        if timer.is_err() {
            std::thread::sleep(when.saturating_duration_since(Instant::now()));
            spare.wake();
        }
    }
    // Under loom the barrier is always complete.
    #[cfg(loom)]
    {
        let _ = when;
        waker.wake();
    }
}

/// `now + timeout`, or `None` (wait forever) when there is no timeout or it is too large to
/// represent as an instant.
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}
