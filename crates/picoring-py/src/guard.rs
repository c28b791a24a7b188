//! What every Python object here shares: a mutex around the Rust value, export counters,
//! `close()`, and what happens to the mutex across `fork()`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock, TryLockError};

use pyo3::exceptions::{PyBufferError, PyMemoryError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::{MutexExt, PyOnceLock};
use pyo3::types::PyType;

/// bytearray's wording, so code that handles bytearray's refusal handles ours.
pub(crate) const EXPORTS_MESSAGE: &str = "Existing exports of data: object cannot be re-sized";

/// Copies at least this long release the GIL. Below it, giving the GIL up and taking it back
/// (and possibly waiting a switch interval for it) costs more than the copy.
pub(crate) const DETACH_BYTES: usize = 64 * 1024;

/// Bumped in every child process right after `fork()`; objects remember the value they were
/// last checked under, so a child sees a different one.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many forks separate this process from the one that loaded the module: objects compare
/// it with the value they last saw to notice they are in a child.
pub(crate) fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Relaxed)
}

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Registers the fork hook once per process (called from module initialisation).
pub(crate) fn install_fork_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a plain `extern "C"` function that only touches an atomic, which is
        // async-signal-safe as the child handler of pthread_atfork must be.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// Live buffer exports of one object, shared with the export objects that decrement them.
#[derive(Default)]
pub(crate) struct Exports {
    /// Exports of queued bytes (or of a list's elements): these bytes must not be freed,
    /// overwritten or moved while any is alive.
    readers: AtomicUsize,
    /// Writable exports of free space (`get_writable_view`): nothing else may write there.
    writers: AtomicUsize,
}

impl Exports {
    pub(crate) fn add(&self, writable: bool) {
        self.counter(writable).fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn remove(&self, writable: bool) {
        self.counter(writable).fetch_sub(1, Ordering::AcqRel);
    }

    fn counter(&self, writable: bool) -> &AtomicUsize {
        if writable {
            &self.writers
        } else {
            &self.readers
        }
    }

    /// Fails when a reader export would see its bytes freed or overwritten.
    pub(crate) fn check_no_readers(&self) -> PyResult<()> {
        if self.readers.load(Ordering::Acquire) == 0 {
            Ok(())
        } else {
            Err(PyBufferError::new_err(EXPORTS_MESSAGE))
        }
    }

    /// Fails when a writable view of free space is alive (a write would land under it).
    pub(crate) fn check_no_writers(&self) -> PyResult<()> {
        if self.writers.load(Ordering::Acquire) == 0 {
            Ok(())
        } else {
            Err(PyBufferError::new_err(EXPORTS_MESSAGE))
        }
    }

    pub(crate) fn check_none(&self) -> PyResult<()> {
        self.check_no_readers()?;
        self.check_no_writers()
    }
}

/// An object's [`Exports`], allocated at its first export: most objects (a list made by a slice,
/// a copy, a concatenation) are never exported, and creating one then allocates nothing for
/// its counters. Until then every check passes: there is nothing to count.
#[derive(Default)]
pub(crate) struct LazyExports(OnceLock<Arc<Exports>>);

impl From<Arc<Exports>> for LazyExports {
    /// Counters shared from the start (with the ends of a shared ring).
    fn from(exports: Arc<Exports>) -> Self {
        LazyExports(OnceLock::from(exports))
    }
}

impl LazyExports {
    /// The counters, allocated now if no export was counted before; for an export object that
    /// gives its count back when it is freed.
    pub(crate) fn shared(&self) -> Arc<Exports> {
        Arc::clone(self.0.get_or_init(Arc::default))
    }

    pub(crate) fn add(&self, writable: bool) {
        self.0.get_or_init(Arc::default).add(writable);
    }

    /// Gives back a count taken with [`LazyExports::add`] (so the counters exist).
    pub(crate) fn remove(&self, writable: bool) {
        if let Some(exports) = self.0.get() {
            exports.remove(writable);
        }
    }

    /// [`Exports::check_no_readers`]; passes while no export was ever counted.
    #[inline]
    pub(crate) fn check_no_readers(&self) -> PyResult<()> {
        self.0.get().map_or(Ok(()), |e| e.check_no_readers())
    }

    /// [`Exports::check_no_writers`]; passes while no export was ever counted.
    #[inline]
    pub(crate) fn check_no_writers(&self) -> PyResult<()> {
        self.0.get().map_or(Ok(()), |e| e.check_no_writers())
    }

    /// [`Exports::check_none`]; passes while no export was ever counted.
    #[inline]
    pub(crate) fn check_none(&self) -> PyResult<()> {
        self.0.get().map_or(Ok(()), |e| e.check_none())
    }
}

/// The mutable part of an object: the Rust value (`None` once closed) and how many bytes of
/// free space the last writable view granted, which bounds `commit`.
pub(crate) struct State<R> {
    pub(crate) value: Option<R>,
    pub(crate) granted: usize,
}

/// A Rust value behind a mutex, with export counters: the body of every `#[pyclass(frozen)]`
/// here. Frozen classes never raise "Already borrowed": threads queue on the mutex instead.
///
/// After `fork()` the child's rings are its own copies (the library sees to that), so objects
/// simply work there. The one thing a child cannot inherit is another thread's lock: if a
/// thread of the parent held this object's mutex at the fork (for instance during a long copy
/// with the GIL released), it stays locked in the child, where that thread does not exist. So
/// an object's first use after a fork checks the mutex before waiting on it (see
/// [`Guarded::usable`]): free, the object carries on; held, the object raises `RuntimeError`
/// in the child (and is leaked there, since its value may be half-updated) instead of hanging.
pub(crate) struct Guarded<R> {
    state: Mutex<State<R>>,
    pub(crate) exports: LazyExports,
    /// `generation << 2 | verdict`: whether the mutex was found usable ([`VALID`]), held by a
    /// thread lost in a fork ([`LOST`]), or is being checked ([`CHECKING`]) in that fork
    /// generation.
    fork_state: AtomicU64,
    /// The class name, for error messages and `repr`.
    name: &'static str,
    /// Whether `__init__` has run (it runs once, right after `__new__`).
    initialised: AtomicBool,
}

const VALID: u64 = 0;
const CHECKING: u64 = 1;
const LOST: u64 = 2;

impl<R> Guarded<R> {
    pub(crate) fn new(name: &'static str, value: R) -> Self {
        Guarded {
            state: Mutex::new(State {
                value: Some(value),
                granted: 0,
            }),
            exports: LazyExports::default(),
            fork_state: AtomicU64::new(FORK_GENERATION.load(Ordering::Relaxed) << 2 | VALID),
            name,
            initialised: AtomicBool::new(false),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the mutex can be waited on in this process: false when a thread lost in a
    /// `fork()` holds it, so that it will never be unlocked.
    ///
    /// Every call takes this test, so it is two loads and a compare, inlined; the first use in
    /// a new fork generation (or while another thread makes that check) goes to
    /// [`Guarded::usable_slow`].
    #[inline]
    fn usable(&self) -> bool {
        let seen = self.fork_state.load(Ordering::Acquire);
        seen == FORK_GENERATION.load(Ordering::Relaxed) << 2 | VALID || self.usable_slow()
    }

    /// [`Guarded::usable`] when this fork generation's verdict is not known to be
    /// [`VALID`].
    ///
    /// Decided once per fork generation, by the first thread to use the object in it, with a
    /// `try_lock`: no thread of this process can hold the mutex before that check is made
    /// (they all wait for its verdict first), so if it is held, the holder is a thread that
    /// did not survive the fork.
    #[cold]
    #[inline(never)]
    fn usable_slow(&self) -> bool {
        let now = FORK_GENERATION.load(Ordering::Relaxed);
        let mut spins = 0u32;
        loop {
            let seen = self.fork_state.load(Ordering::Acquire);
            if seen >> 2 == now {
                match seen & 3 {
                    VALID => return true,
                    LOST => return false,
                    _ => {
                        // Another thread is checking; it takes a few instructions.
                        spins += 1;
                        if spins < 64 {
                            std::hint::spin_loop();
                        } else {
                            std::thread::yield_now();
                        }
                        continue;
                    }
                }
            }
            // The first use since a fork: check, unless another thread just began to.
            if self
                .fork_state
                .compare_exchange(
                    seen,
                    now << 2 | CHECKING,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_err()
            {
                continue;
            }
            let verdict = match self.state.try_lock() {
                Ok(_) | Err(TryLockError::Poisoned(_)) => VALID,
                Err(TryLockError::WouldBlock) => LOST,
            };
            self.fork_state.store(now << 2 | verdict, Ordering::Release);
            return verdict == VALID;
        }
    }

    /// `__init__`: construction (`__new__`) did all the work; a second call would silently
    /// keep the old contents under new arguments, so it is a `TypeError`.
    pub(crate) fn init_once(&self) -> PyResult<()> {
        if self.initialised.swap(true, Ordering::Relaxed) {
            Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{} objects cannot be re-initialised: __init__ runs once, at construction \
                 (create a new object instead)",
                self.name
            )))
        } else {
            Ok(())
        }
    }

    /// The error for an object whose mutex a thread lost in a `fork()` holds.
    #[cold]
    #[inline(never)]
    fn lost_in_fork(&self) -> PyErr {
        PyRuntimeError::new_err(format!(
            "this {} was in use by another thread when the process forked; it cannot be \
             used in the child",
            self.name
        ))
    }

    /// Locks the state, unless a thread lost in a `fork()` holds it.
    ///
    /// The uncontended case (the only one a single-threaded program sees) is inlined: the
    /// fork check and one `try_lock`. A held mutex is waited for in [`Guarded::lock_contended`].
    #[inline]
    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, State<R>>> {
        if !self.usable() {
            return Err(self.lost_in_fork());
        }
        match self.state.try_lock() {
            Ok(state) => Ok(state),
            // A panic under the lock left the value as consistent as any error does.
            Err(TryLockError::Poisoned(state)) => Ok(state.into_inner()),
            Err(TryLockError::WouldBlock) => Ok(self.lock_contended(py)),
        }
    }

    /// Waits for the mutex with this thread detached from the interpreter, so the holder
    /// (which may be waiting to attach) can finish.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self, py: Python<'_>) -> MutexGuard<'_, State<R>> {
        self.state
            .lock_py_attached(py)
            .unwrap_or_else(|e| e.into_inner())
    }

    /// `ValueError` for a call on a closed object.
    #[cold]
    #[inline(never)]
    fn closed_error(&self) -> PyErr {
        PyValueError::new_err(format!("operation on a closed {}", self.name))
    }

    /// Runs `f` on the open value under the lock.
    #[inline]
    pub(crate) fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut R, &mut usize) -> PyResult<T>,
    ) -> PyResult<T> {
        let mut state = self.lock(py)?;
        let State { value, granted } = &mut *state;
        match value {
            Some(value) => f(value, granted),
            None => Err(self.closed_error()),
        }
    }

    /// Runs `f` on the open value if the lock is free right now; `Ok(None)`, running nothing,
    /// when another thread holds it (or waits for the GIL holding it).
    pub(crate) fn try_with<T>(&self, f: impl FnOnce(&mut R) -> PyResult<T>) -> PyResult<Option<T>> {
        if !self.usable() {
            return Err(self.lost_in_fork());
        }
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(state)) => state.into_inner(),
            Err(TryLockError::WouldBlock) => return Ok(None),
        };
        match &mut state.value {
            Some(value) => f(value).map(Some),
            None => Err(self.closed_error()),
        }
    }

    /// Whether `close()` was called (false for an object lost in a fork: it was not closed).
    pub(crate) fn is_closed(&self, py: Python<'_>) -> bool {
        match self.lock(py) {
            Ok(state) => state.value.is_none(),
            Err(_) => false,
        }
    }

    /// Frees the memory now; idempotent. Refused while any export is alive.
    pub(crate) fn close(&self, py: Python<'_>) -> PyResult<()> {
        let doomed = {
            let mut state = self.lock(py)?;
            if state.value.is_some() {
                self.exports.check_none()?;
            }
            state.granted = 0;
            state.value.take()
        };
        drop(doomed);
        Ok(())
    }
}

impl<R> Drop for Guarded<R> {
    fn drop(&mut self) {
        if !self.usable() {
            // A thread lost in a fork was in the middle of changing the value: it may be
            // half-updated, so dropping it could free what is not ours. Leak it instead.
            let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
            std::mem::forget(state.value.take());
        }
    }
}

/// Translates a library error into the exception Python's own types raise for the same cause.
pub(crate) fn to_py_err(err: picoring::Error) -> PyErr {
    use picoring::Error;
    match &err {
        Error::ZeroCapacity => PyValueError::new_err(err.to_string()),
        Error::CapacityOverflow
        | Error::ReservationExhausted { .. }
        | Error::ExceedsMemory { .. } => PyMemoryError::new_err(err.to_string()),
        Error::Os { source, .. } if source.raw_os_error() == Some(libc::ENOMEM) => {
            PyMemoryError::new_err(err.to_string())
        }
        _ => PyOSError::new_err(err.to_string()),
    }
}

/// A count from Python: negative is a `ValueError` (as `bytearray(-1)`), not an `OverflowError`.
#[inline]
pub(crate) fn count(n: isize, what: &str) -> PyResult<usize> {
    usize::try_from(n).map_err(|_| PyValueError::new_err(format!("{what} must be >= 0, got {n}")))
}

/// `object.__sizeof__(obj)`: the object's basic size (its type's `__basicsize__`, which for a
/// Python subclass includes its `__dict__` and `__weakref__` slots).
pub(crate) fn basic_size(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    static OBJECT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = obj.py();
    OBJECT
        .import(py, "builtins", "object")?
        .call_method1(pyo3::intern!(py, "__sizeof__"), (obj,))?
        .extract()
}

/// Defines a class of this module: a frozen pyclass (options given in `#[pyclass(...)]`) whose
/// field `inner` is a [`Guarded`] over `$value`, with the `#[pymethods]` every class here
/// shares: the lifecycle (`close`, `closed`, `with`, an `__init__` that runs once), giving back
/// a counted buffer export, the length (`len(obj)`, `bool(obj)` and `obj.len()`), which
/// `len: |value| expr` computes from the value under the lock, and `sys.getsizeof(obj)`, which
/// adds the bytes of memory `held: |value| expr` says the value holds to the object's size.
macro_rules! guarded_class {
    (
        $(#[doc = $doc:expr])*
        #[pyclass($($option:tt)*)]
        struct $class:ident($value:ty), len: |$v:ident| $len:expr, held: |$h:ident| $held:expr
    ) => {
        $(#[doc = $doc])*
        #[pyclass(frozen, module = "picoring._picoring", $($option)*)]
        pub(crate) struct $class {
            inner: $crate::guard::Guarded<$value>,
        }

        #[pymethods]
        impl $class {
            /// Frees the memory now; later calls raise `ValueError`. Idempotent; refused
            /// (`BufferError`) while a view is alive.
            fn close(&self, py: Python<'_>) -> PyResult<()> {
                self.inner.close(py)
            }

            /// Whether `close()` was called.
            #[getter]
            fn closed(&self, py: Python<'_>) -> bool {
                self.inner.is_closed(py)
            }

            /// Runs once, after `__new__` (which takes the arguments); calling it again
            /// raises `TypeError`.
            #[pyo3(signature = (*_args, **_kwargs))]
            fn __init__(
                &self,
                _args: &Bound<'_, pyo3::types::PyTuple>,
                _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
            ) -> PyResult<()> {
                self.inner.init_once()
            }

            fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
                slf
            }

            /// Closes. When the block raised and a view still pins the memory, the block's
            /// exception propagates and the object stays open (freed with its last reference)
            /// instead of a `BufferError` replacing it.
            #[pyo3(signature = (*args))]
            fn __exit__(
                &self,
                py: Python<'_>,
                args: &Bound<'_, pyo3::types::PyTuple>,
            ) -> PyResult<bool> {
                let closed = self.inner.close(py);
                let raised = args.get_item(0).is_ok_and(|exc_type| !exc_type.is_none());
                if !raised {
                    closed?;
                }
                Ok(false)
            }

            unsafe fn __releasebuffer__(&self, _view: *mut pyo3::ffi::Py_buffer) {
                self.inner.exports.remove(false);
            }

            fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
                self.inner.with(py, |$v, _| Ok($len))
            }

            fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
                Ok(self.__len__(py)? > 0)
            }

            /// Number of items held (upstream 0.6 spelling of `len(obj)`).
            fn len(&self, py: Python<'_>) -> PyResult<usize> {
                self.__len__(py)
            }

            /// Size in bytes, for `sys.getsizeof`: the object's basic size
            /// (`object.__sizeof__`) plus the memory it holds, as `bytearray` and
            /// `array.array` count their buffers. A list counts its committed bytes
            /// (`capacity() * itemsize`; address space reserved but not committed is not
            /// counted); a ring counts its data buffer once (its size in bytes, whole pages:
            /// `capacity()` for a byte ring, at least `capacity() * frame size` for a typed
            /// one), though it is mapped twice. Closed: the basic size only.
            fn __sizeof__(slf: &Bound<'_, Self>) -> PyResult<usize> {
                let held = slf
                    .get()
                    .inner
                    .with(slf.py(), |$h, _| Ok($held))
                    .unwrap_or(0);
                Ok($crate::guard::basic_size(slf.as_any())?.saturating_add(held))
            }
        }
    };
}

pub(crate) use guarded_class;
