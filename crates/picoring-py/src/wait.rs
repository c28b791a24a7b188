//! Blocking reads and writes with timeouts: a condition variable beside an object's mutex.
//!
//! A waitable class keeps its library value inside [`Wakes`], which pairs it with a [`Waiter`].
//! Every change that can let a waiter proceed (a push, a pop, `clear`) calls
//! [`Waiter::notify`], and dropping the value (`close()`) wakes every waiter; they then find
//! the object closed and raise its `ValueError`. [`wait_for`] retries an operation until it
//! succeeds, releasing the GIL while it sleeps, and raises `TimeoutError` when the timeout
//! passes (as `socket` does; `queue.Queue` raises its own `queue.Empty`/`queue.Full`).
//!
//! Wiring a byte ring class (as `PicoByteStreamPy`): make its value `Wakes<Ring>` (every
//! `byte_ring` helper then notifies, through `ByteFifo for Wakes`), call `notify()` after any
//! change made outside those helpers, and wrap the non-blocking call in [`retry`].
//!
//! Lost wake-ups cannot happen: a waiter reads the change counter *before* it tries under the
//! object's lock, and every change bumps the counter after it is made (under that same lock),
//! so a change made after the attempt always ends the sleep.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::guard::Guarded;

/// A sleeper wakes at least this often to let Python run signal handlers (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Where waiters sleep until the object changes.
///
/// A waiter belongs to one process: a thread of the parent may hold its mutex at a `fork()`
/// (for a moment, between sleeps), and would hold it forever in the child, where it does not
/// exist. So a child never touches a waiter it inherited: [`Wakes`] gives it a fresh one, and
/// wakes only the current one (nobody in the child can be asleep on an inherited one).
pub(crate) struct Waiter {
    /// The fork generation this waiter was made in (see [`crate::guard::fork_generation`]).
    generation: u64,
    /// How many changes were announced; only compared for inequality.
    changes: Mutex<u64>,
    changed: Condvar,
    /// Threads that may be sleeping (counted before they read `changes`): with none, a change
    /// costs one atomic load instead of a lock.
    sleepers: AtomicUsize,
}

impl Waiter {
    fn new() -> Self {
        Waiter {
            generation: crate::guard::fork_generation(),
            changes: Mutex::new(0),
            changed: Condvar::new(),
            sleepers: AtomicUsize::new(0),
        }
    }

    /// Whether this waiter was made in this process (not inherited through a fork).
    fn is_current(&self) -> bool {
        self.generation == crate::guard::fork_generation()
    }

    /// Announces a change. Call it after the change, under the object's lock.
    pub(crate) fn notify(&self) {
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            self.wake_all();
        }
    }

    fn wake_all(&self) {
        *self.changes.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }

    fn changes(&self) -> u64 {
        *self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps until a change after `seen` is announced, or until `until`.
    fn sleep(&self, seen: u64, until: Instant) {
        let mut changes = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        while *changes == seen {
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                return;
            };
            changes = self
                .changed
                .wait_timeout(changes, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Counts a thread in [`Waiter::sleepers`] for as long as it lives.
struct Sleeping<'a>(&'a Waiter);

impl<'a> Sleeping<'a> {
    fn new(waiter: &'a Waiter) -> Self {
        waiter.sleepers.fetch_add(1, Ordering::SeqCst);
        Sleeping(waiter)
    }
}

impl Drop for Sleeping<'_> {
    fn drop(&mut self) {
        self.0.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A library value and the waiter its changes wake; dropping it (on `close()`) wakes every
/// waiter. Derefs to the value.
pub(crate) struct Wakes<R> {
    value: R,
    waiter: Arc<Waiter>,
}

impl<R> Wakes<R> {
    pub(crate) fn new(value: R) -> Self {
        Wakes {
            value,
            waiter: Arc::new(Waiter::new()),
        }
    }

    /// Announces a change made through `DerefMut` outside [`wait_for`] (`clear`, `consume`).
    pub(crate) fn notify(&self) {
        if self.waiter.is_current() {
            self.waiter.notify();
        }
    }

    /// The waiter to sleep on: this process's own (made now, after a fork).
    fn waiter(&mut self) -> Arc<Waiter> {
        if !self.waiter.is_current() {
            self.waiter = Arc::new(Waiter::new());
        }
        Arc::clone(&self.waiter)
    }
}

impl<R> Deref for Wakes<R> {
    type Target = R;
    fn deref(&self) -> &R {
        &self.value
    }
}

impl<R> DerefMut for Wakes<R> {
    fn deref_mut(&mut self) -> &mut R {
        &mut self.value
    }
}

impl<R> Drop for Wakes<R> {
    fn drop(&mut self) {
        if self.waiter.is_current() {
            self.waiter.wake_all();
        }
    }
}

/// `queue`'s checks of a `timeout` in seconds: `ValueError` when negative or NaN.
pub(crate) fn check_timeout(timeout: Option<f64>) -> PyResult<()> {
    match timeout {
        Some(seconds) if seconds.is_nan() || seconds < 0.0 => Err(PyValueError::new_err(
            "'timeout' must be a non-negative number",
        )),
        _ => Ok(()),
    }
}

/// The deadline for a `timeout` in seconds (`None`: wait forever), with `queue`'s checks.
pub(crate) fn deadline(timeout: Option<f64>) -> PyResult<Option<Instant>> {
    check_timeout(timeout)?;
    let Some(seconds) = timeout else {
        return Ok(None);
    };
    // A timeout too long to represent is the same as none.
    Ok(Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|d| Instant::now().checked_add(d)))
}

/// Runs `attempt` on the open value under the object's lock until it returns `Some`, sleeping
/// (GIL released) between tries until the object changes; announces the change a successful
/// attempt made. Raises `TimeoutError` (`what` says what did not happen) once `timeout`
/// seconds pass, the object's `ValueError` once it is closed, and whatever `attempt` raises.
pub(crate) fn wait_for<R, T>(
    g: &Guarded<Wakes<R>>,
    py: Python<'_>,
    timeout: Option<f64>,
    what: impl FnOnce() -> String,
    attempt: impl FnMut(&mut R, &mut usize) -> PyResult<Option<T>>,
) -> PyResult<T> {
    wait_until(g, py, deadline(timeout)?, what, attempt)
}

/// Socket-style waiting around an existing non-blocking operation: runs `op` once `ready`
/// holds, and again (waiting again) while its result is not `done`, e.g. a read that another
/// reader emptied first. `TimeoutError` (`what`) when `timeout` seconds pass first.
pub(crate) fn retry<R, T>(
    g: &Guarded<Wakes<R>>,
    py: Python<'_>,
    timeout: Option<f64>,
    what: impl Fn() -> String,
    ready: impl Fn(&R) -> bool,
    mut op: impl FnMut() -> PyResult<T>,
    done: impl Fn(&T) -> bool,
) -> PyResult<T> {
    let until = deadline(timeout)?;
    loop {
        wait_until(g, py, until, &what, |value, _| {
            Ok(ready(value).then_some(()))
        })?;
        let result = op()?;
        if done(&result) {
            return Ok(result);
        }
    }
}

/// [`wait_for`] with a deadline (`None`: forever) instead of a timeout.
pub(crate) fn wait_until<R, T>(
    g: &Guarded<Wakes<R>>,
    py: Python<'_>,
    until: Option<Instant>,
    what: impl FnOnce() -> String,
    mut attempt: impl FnMut(&mut R, &mut usize) -> PyResult<Option<T>>,
) -> PyResult<T> {
    let mut try_once = |py: Python<'_>| {
        g.with(py, |wakes, granted| {
            let done = attempt(&mut wakes.value, granted)?;
            if done.is_some() {
                wakes.notify();
            }
            Ok(done.ok_or_else(|| wakes.waiter()))
        })
    };
    let waiter = match try_once(py)? {
        Ok(done) => return Ok(done),
        Err(waiter) => waiter,
    };
    let _sleeping = Sleeping::new(&waiter);
    loop {
        let seen = waiter.changes();
        if let Ok(done) = try_once(py)? {
            return Ok(done);
        }
        let now = Instant::now();
        if until.is_some_and(|until| now >= until) {
            return Err(PyTimeoutError::new_err(what()));
        }
        let wake = until.map_or(now + SIGNAL_CHECK, |until| until.min(now + SIGNAL_CHECK));
        py.detach(|| waiter.sleep(seen, wake));
        py.check_signals()?;
    }
}
