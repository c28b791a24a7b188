//! `Broadcast(capacity, lossy=True)`: one sender, any number of readers (`subscribe()`), each
//! reading every record, over `picoring::broadcast`.
//!
//! A reader's `recv` returns a memoryview of the record in the ring, held (pinned, in the lossy
//! policy) by the library's `Receiver::peek` until that reader's next `recv`; the view counts as
//! an export, so a `recv` while it is still alive raises `BufferError` instead of releasing the
//! record under it. Waits release the GIL in short slices between which Ctrl-C is checked.

use std::time::{Duration, Instant};

use picoring::broadcast::{self, Policy, Receiver, RecvError, SendError, Sender};
use pyo3::exceptions::{PyEOFError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView, PyTuple};
use pyo3::PyClass;

use crate::export::{self, Access, Export, Region};
use crate::guard::{count, to_py_err, Guarded};
use crate::input::ByteInput;
use crate::typecode::TypeCode;
use crate::wait::deadline;

/// A sleeper wakes at least this often to let Python run signal handlers (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// How long the next slice of a wait may sleep: `None` once `until` has passed.
fn slice(until: Option<Instant>) -> Option<Duration> {
    match until {
        None => Some(SIGNAL_CHECK),
        Some(until) => until
            .checked_duration_since(Instant::now())
            .map(|left| left.min(SIGNAL_CHECK)),
    }
}

pyo3::create_exception!(
    _picoring,
    Lagged,
    PyRuntimeError,
    "Raised by a reader's `recv` when the lossy sender overwrote records it had not read yet: \
     `missed` says how many (exactly); the next `recv` returns the oldest record still present."
);

/// A `Lagged` error carrying `missed`.
fn lagged(py: Python<'_>, missed: u64) -> PyErr {
    let err = Lagged::new_err(format!(
        "the reader lagged behind and missed {missed} records"
    ));
    if let Err(failed) = err.value(py).setattr("missed", missed) {
        return failed;
    }
    err
}

/// Either end's `repr`: `<picoring.NAME capacity=... lossy=... EXTRA>` from `fields` (capacity,
/// policy, the end's own `key=value`), or what it is when it cannot be read.
fn describe<T>(
    inner: &Guarded<T>,
    py: Python<'_>,
    name: &str,
    fields: impl FnOnce(&T) -> (usize, Policy, String),
) -> String {
    match inner.with(py, |value, _| Ok(fields(value))) {
        Ok((capacity, policy, extra)) => format!(
            "<picoring.{name} capacity={capacity} lossy={} {extra}>",
            if policy == Policy::Lossy {
                "True"
            } else {
                "False"
            }
        ),
        Err(_) if inner.is_closed(py) => format!("<picoring.{name} closed>"),
        Err(_) => format!("<picoring.{name} from another process>"),
    }
}

/// The lifecycle methods both ends share: `close()` (documented per class), `closed`, and
/// `with` (closing on exit, its error raised).
macro_rules! lifecycle_methods {
    ($(#[doc = $doc:expr])* $class:ident) => {
        #[pymethods]
        impl $class {
            $(#[doc = $doc])*
            fn close(&self, py: Python<'_>) -> PyResult<()> {
                self.inner.close(py)
            }

            /// Whether `close()` was called.
            #[getter]
            fn closed(&self, py: Python<'_>) -> bool {
                self.inner.is_closed(py)
            }

            fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
                slf
            }

            #[pyo3(signature = (*_args))]
            fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
                self.inner.close(py)?;
                Ok(false)
            }
        }
    };
}

/// The sending end: a broadcast ring of byte records.
#[pyclass(frozen, module = "picoring._picoring", name = "Broadcast")]
pub(crate) struct Broadcast {
    inner: Guarded<Sender>,
}

#[pymethods]
impl Broadcast {
    /// `Broadcast(capacity, lossy=True)`: a ring of at least `capacity` bytes (rounded up to
    /// pages; each record takes 16 bytes of framing plus its length rounded up to 8). Lossy:
    /// `send` overwrites the oldest records, and readers behind them get `Lagged`; lossless:
    /// `send` waits for the slowest reader.
    #[new]
    #[pyo3(signature = (capacity, lossy=true))]
    fn new(capacity: isize, lossy: bool) -> PyResult<Self> {
        let capacity = count(capacity, "capacity")?;
        let policy = if lossy {
            Policy::Lossy
        } else {
            Policy::Lossless
        };
        // The first reader is not wanted: readers come from `subscribe()`.
        let (tx, _rx) = broadcast::channel(capacity, policy).map_err(to_py_err)?;
        Ok(Broadcast {
            inner: Guarded::new(<Self as PyClass>::NAME, tx),
        })
    }

    /// Runs once, after `__new__`; calling it again raises `TypeError`.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn __init__(
        &self,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<()> {
        self.inner.init_once()
    }

    /// Ring size in bytes, framing included.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |tx, _| Ok(tx.capacity()))
    }

    /// The longest record `send` accepts.
    fn max_record_len(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |tx, _| Ok(tx.max_record_len()))
    }

    /// Whether `send` overwrites the oldest records instead of waiting for readers.
    #[getter]
    fn lossy(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner
            .with(py, |tx, _| Ok(tx.policy() == Policy::Lossy))
    }

    /// How many readers are alive.
    fn receiver_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |tx, _| Ok(tx.receiver_count()))
    }

    /// A new reader that receives every record sent from now on.
    fn subscribe(&self, py: Python<'_>) -> PyResult<BroadcastReader> {
        let rx = self.inner.with(py, |tx, _| Ok(tx.subscribe()))?;
        Ok(BroadcastReader::new(rx))
    }

    /// Sends the bytes of `data` (any C-contiguous bytes-like object) as one record. Waits
    /// while there is no room (lossless: for the slowest reader; lossy: only for a reader
    /// whose record, held until its next `recv`, is about to be overwritten) up to `timeout`
    /// seconds (`None`: forever; `0`: not at all), then raises `TimeoutError` having sent
    /// nothing. `ValueError` for a record longer than `max_record_len()`.
    #[pyo3(signature = (data, timeout=None))]
    fn send(&self, data: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<()> {
        let py = data.py();
        let input = ByteInput::new(data)?;
        let until = deadline(timeout)?;
        let mut first = true;
        loop {
            let sent = self.inner.with(py, |tx, _| {
                if first {
                    // Without giving the GIL up: the common case.
                    return Ok(tx.try_send(input.bytes()));
                }
                let Some(wait) = slice(until) else {
                    return Ok(Err(SendError::TimedOut));
                };
                let bytes = input.bytes();
                // The GIL is released around the copy out of `data`, as hashlib and zlib do.
                Ok(py.detach(|| tx.send_timeout(bytes, wait)))
            })?;
            match sent {
                Ok(()) => return Ok(()),
                Err(SendError::TooLarge) => {
                    return Err(PyValueError::new_err(format!(
                        "a record of {} bytes is longer than this Broadcast can hold",
                        input.len()
                    )))
                }
                Err(SendError::Full | SendError::TimedOut) => {
                    if until.is_some_and(|until| Instant::now() >= until) {
                        return Err(PyTimeoutError::new_err(
                            "no room for the record before the timeout",
                        ));
                    }
                }
            }
            first = false;
            py.check_signals()?;
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        describe(&self.inner, py, "Broadcast", |tx| {
            let readers = tx.receiver_count();
            (tx.capacity(), tx.policy(), format!("readers={readers}"))
        })
    }
}

lifecycle_methods! {
    /// Drops the sending end now: readers receive what was sent, then `EOFError`.
    /// Idempotent; later sends raise `ValueError`.
    Broadcast
}

/// One reader and the records it missed so far.
pub(crate) struct Reading {
    rx: Receiver,
    lag: u64,
}

/// A reader of a `Broadcast`, from its `subscribe()`.
#[pyclass(frozen, module = "picoring._picoring", name = "BroadcastReader")]
pub(crate) struct BroadcastReader {
    inner: Guarded<Reading>,
}

impl BroadcastReader {
    fn new(rx: Receiver) -> Self {
        BroadcastReader {
            inner: Guarded::new(<Self as PyClass>::NAME, Reading { rx, lag: 0 }),
        }
    }

    /// Releases the record the last `recv` returned (`BufferError` while a view of it is
    /// alive) and holds the next one, waiting up to `timeout` seconds; with `export`, counts
    /// one export of it under the same lock. Returns where its bytes are.
    fn next(&self, py: Python<'_>, timeout: Option<f64>, export: bool) -> PyResult<Region> {
        let until = deadline(timeout)?;
        let mut first = true;
        loop {
            let got = self.inner.with(py, |r, _| {
                self.inner.exports.check_no_readers()?;
                r.rx.consume();
                let held = if first {
                    r.rx.try_peek()
                } else {
                    match slice(until) {
                        Some(wait) => py.detach(|| r.rx.peek_timeout(wait)),
                        None => Err(RecvError::TimedOut),
                    }
                };
                let held = held.map(Region::of);
                match held {
                    Ok(_) if export => self.inner.exports.add(false),
                    Err(RecvError::Lagged(missed)) => r.lag += missed,
                    _ => {}
                }
                Ok(held)
            })?;
            match got {
                Ok(region) => return Ok(region),
                Err(RecvError::Lagged(missed)) => return Err(lagged(py, missed)),
                Err(RecvError::Disconnected) => {
                    return Err(PyEOFError::new_err(
                        "the Broadcast was closed and every record it sent was received",
                    ))
                }
                Err(RecvError::Empty | RecvError::TimedOut) => {
                    if until.is_some_and(|until| Instant::now() >= until) {
                        return Err(PyTimeoutError::new_err("no record before the timeout"));
                    }
                }
            }
            first = false;
            py.check_signals()?;
        }
    }
}

#[pymethods]
impl BroadcastReader {
    /// The next record as a read-only memoryview of the ring, without a copy. It stays valid
    /// until this reader's next `recv`/`recv_bytes`, which raises `BufferError` if the view
    /// (or anything made from it) is still alive: release it first. While it is held, a
    /// lossy `send` about to overwrite it waits: an idle reader calls `release()` (or uses
    /// `recv_bytes`, which holds nothing). Waits up to `timeout` seconds (`None`:
    /// forever) for a record, then raises `TimeoutError`; raises `Lagged` (lossy) when
    /// records were overwritten before this reader got to them, and `EOFError` once the
    /// `Broadcast` is closed and everything was received.
    #[pyo3(signature = (timeout=None))]
    fn recv<'py>(
        slf: &Bound<'py, Self>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyMemoryView>> {
        let this = slf.get();
        let region = this.next(slf.py(), timeout, true)?;
        let exports = std::sync::Arc::clone(&this.inner.exports);
        let export = Export::new(
            slf.as_any(),
            exports,
            region,
            TypeCode::BYTE,
            0,
            Access::Read,
        )?;
        PyMemoryView::from(export.as_any())
    }

    /// As `recv`, returning a copy of the record as `bytes` (and releasing it at once).
    #[pyo3(signature = (timeout=None))]
    fn recv_bytes<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.next(py, timeout, false)?;
        export::new_bytes(
            &self.inner,
            py,
            // Checked again under each lock: between them another thread's `recv` on this
            // reader may have taken the record and a view of it, which must stay valid.
            |r| {
                self.inner.exports.check_no_readers()?;
                Ok(r.rx.try_peek().map_or(0, <[u8]>::len))
            },
            |r, dest| {
                self.inner.exports.check_no_readers()?;
                let Ok(held) = r.rx.try_peek() else {
                    return Ok(false);
                };
                if held.len() != dest.len {
                    return Ok(false);
                }
                // SAFETY: `dest` is valid for `dest.len` writes, a new object's memory not
                // overlapping the ring; the held record stays in place under the lock.
                unsafe { export::copy_out(py, held, dest) };
                r.rx.consume();
                Ok(true)
            },
        )
    }

    /// Releases the record the last `recv` returned without taking the next one, so that a
    /// lossy sender need not wait for it; `False` when none was held. `BufferError` while a
    /// view of it is alive.
    fn release(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |r, _| {
            self.inner.exports.check_no_readers()?;
            Ok(r.rx.consume())
        })
    }

    /// How many records this reader missed in all (lossy): the sum of its `Lagged.missed`.
    #[getter]
    fn lag(&self, py: Python<'_>) -> PyResult<u64> {
        self.inner.with(py, |r, _| Ok(r.lag))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        describe(&self.inner, py, "BroadcastReader", |r| {
            (r.rx.capacity(), r.rx.policy(), format!("lag={}", r.lag))
        })
    }
}

lifecycle_methods! {
    /// Leaves the broadcast now (the sender no longer waits for this reader); idempotent,
    /// refused (`BufferError`) while a view from `recv` is alive.
    BroadcastReader
}
