//! `Broadcast(capacity, *, lossy=True)`: one sender, any number of readers (`subscribe()`),
//! each reading every record, over `picoring::broadcast`; `Broadcast(typecode, frames,
//! channels=1, lossy=True)`: the same with records of whole typed frames, which readers get
//! as `(frames, channels)` views (the shape `PicoRing` exports).
//!
//! A reader's `recv` returns a memoryview of the record in the ring, held (pinned, in the lossy
//! policy) by the library's `Receiver::peek` until that reader's next `recv`; the view counts as
//! an export, so a `recv` while it is still alive raises `BufferError` instead of releasing the
//! record under it. Waits release the GIL in short slices between which Ctrl-C is checked.

use std::time::{Duration, Instant};

use picoring::broadcast::{self, Policy, Receiver, RecvError, SendError, Sender};
use pyo3::exceptions::{
    PyEOFError, PyMemoryError, PyRuntimeError, PyTimeoutError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView, PyString, PyTuple};
use pyo3::PyClass;

use crate::export::{self, Access, Export, Region};
use crate::guard::{count, to_py_err, Guarded};
use crate::input::ByteInput;
use crate::typecode::TypeCode;
use crate::typed_ring::FrameLayout;
use crate::wait::deadline;

/// The records of a byte `Broadcast`: one-dimensional bytes.
const BYTE_RECORDS: FrameLayout = FrameLayout {
    code: TypeCode::BYTE,
    channels: 1,
    frame_bytes: 1,
};

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

/// Sends the bytes of `input` as one record on `inner`, waiting up to `timeout` seconds for
/// room (see `Broadcast.send`).
fn send_record(
    inner: &Guarded<Sender>,
    py: Python<'_>,
    input: &ByteInput<'_>,
    timeout: Option<f64>,
) -> PyResult<()> {
    let until = deadline(timeout)?;
    let mut first = true;
    loop {
        let sent = inner.with(py, |tx, _| {
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

/// `close()`, `closed` and `with` blocks for a class over `inner: Guarded<_>`; the doc
/// comments given are `close`'s.
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

lifecycle_methods!(
    /// Drops the sending end now: readers receive what was sent, then `EOFError`.
    /// Idempotent; later sends raise `ValueError`.
    Broadcast
);
lifecycle_methods!(
    /// Leaves the broadcast now (the sender no longer waits for this reader); idempotent,
    /// refused (`BufferError`) while a view from `recv` is alive.
    BroadcastReader
);

/// A sender of `bytes` capacity (rounded up to pages) and the given policy.
fn open_sender(bytes: usize, lossy: bool) -> PyResult<Guarded<Sender>> {
    let policy = if lossy {
        Policy::Lossy
    } else {
        Policy::Lossless
    };
    // The first reader is not wanted: readers come from `subscribe()`.
    let (tx, _rx) = broadcast::channel(bytes, policy).map_err(to_py_err)?;
    Ok(Guarded::new(<Broadcast as PyClass>::NAME, tx))
}

/// The sending end: `Broadcast(capacity, *, lossy=True)` for byte records, or
/// `Broadcast(typecode, frames, channels=1, lossy=True)` for records of whole typed frames.
#[pyclass(frozen, module = "picoring._picoring", name = "Broadcast")]
pub(crate) struct Broadcast {
    inner: Guarded<Sender>,
    /// The typed form's frame layout and the most frames one record may hold; `None` for
    /// byte records.
    typed: Option<(FrameLayout, usize)>,
}

impl Broadcast {
    /// The shape readers' `recv` gives records.
    fn layout(&self) -> FrameLayout {
        self.typed.map_or(BYTE_RECORDS, |(layout, _)| layout)
    }
}

#[pymethods]
impl Broadcast {
    /// `Broadcast(capacity, *, lossy=True)`: byte records in a ring of at least `capacity`
    /// bytes (rounded up to pages; each record takes 16 bytes of framing plus its length
    /// rounded up to 8). `Broadcast(typecode, frames, channels=1, lossy=True)`: records of
    /// whole frames of `channels` items of `typecode` (as `array.array`'s), each at most
    /// `frames` frames, in a ring that holds one record of `frames` frames or more smaller
    /// ones. Lossy: `send` overwrites the oldest records, and readers behind them get
    /// `Lagged`; lossless: `send` waits for the slowest reader.
    #[new]
    #[pyo3(signature = (source, /, frames=None, channels=1, lossy=true))]
    fn new(
        source: &Bound<'_, PyAny>,
        frames: Option<isize>,
        channels: isize,
        lossy: bool,
    ) -> PyResult<Self> {
        if source.is_instance_of::<PyString>() {
            let frames = frames.ok_or_else(|| {
                PyTypeError::new_err("Broadcast(typecode, frames, channels=1) needs frames")
            })?;
            let (layout, frames, total) = FrameLayout::sized(source, frames, channels)?;
            // One record of `total` bytes: its 16-byte header and its payload rounded up to 8.
            let capacity = total
                .checked_add(16 + 7)
                .map(|bytes| bytes & !7)
                .ok_or_else(|| PyMemoryError::new_err("frames * channels is too large"))?;
            return Ok(Broadcast {
                inner: open_sender(capacity, lossy)?,
                typed: Some((layout, frames)),
            });
        }
        if frames.is_some() || channels != 1 {
            return Err(PyTypeError::new_err(
                "Broadcast(capacity, *, lossy=True) takes no frames or channels (they are for \
                 Broadcast(typecode, frames, channels))",
            ));
        }
        let capacity = count(source.extract::<isize>()?, "capacity")?;
        Ok(Broadcast {
            inner: open_sender(capacity, lossy)?,
            typed: None,
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

    /// Byte records: the ring's size in bytes, framing included. Typed: the most frames one
    /// record may hold, exactly as asked.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        match self.typed {
            Some((_, frames)) => Ok(frames),
            None => self.inner.with(py, |tx, _| Ok(tx.capacity())),
        }
    }

    /// The longest record `send` accepts, in bytes.
    fn max_record_len(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |tx, _| Ok(tx.max_record_len()))
    }

    /// The typecode of the items, as in `array.array` (`'B'` for byte records).
    #[getter]
    fn typecode(&self) -> String {
        self.layout().code.code.to_string()
    }

    /// Bytes per item.
    #[getter]
    fn itemsize(&self) -> usize {
        self.layout().code.itemsize()
    }

    /// Items per frame (1 for byte records).
    #[getter]
    fn channels(&self) -> usize {
        self.layout().channels
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
        Ok(BroadcastReader::new(rx, self.layout()))
    }

    /// Sends `data` as one record: byte records, the bytes of any C-contiguous bytes-like
    /// object (`ValueError` past `max_record_len()`); typed, every frame of a buffer of the
    /// typecode's format (`(n, channels)` or `n` interleaved frames' items, as `PicoRing.push`
    /// takes; `ValueError` for a partial frame or more than `capacity()` frames). Waits while
    /// there is no room (lossless: for the slowest reader; lossy: only for a reader whose
    /// record, held until its next `recv`, is about to be overwritten) up to `timeout` seconds
    /// (`None`: forever; `0`: not at all), then raises `TimeoutError` having sent nothing.
    #[pyo3(signature = (data, timeout=None))]
    fn send(&self, data: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<()> {
        let input = ByteInput::new(data)?;
        if let Some((layout, frames)) = self.typed {
            let n = layout.frames_in(&input)?;
            if n > frames {
                return Err(PyValueError::new_err(format!(
                    "cannot send {n} frames in a record of at most {frames} frames"
                )));
            }
        }
        send_record(&self.inner, data.py(), &input, timeout)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let state = self.inner.with(py, |tx, _| {
            Ok((
                tx.capacity(),
                tx.policy() == Policy::Lossy,
                tx.receiver_count(),
            ))
        });
        let (bytes, lossy, readers) = match state {
            Ok(state) => state,
            Err(_) if self.inner.is_closed(py) => return "<picoring.Broadcast closed>".into(),
            Err(_) => return "<picoring.Broadcast from another process>".into(),
        };
        let lossy = if lossy { "True" } else { "False" };
        match self.typed {
            Some((layout, frames)) => format!(
                "<picoring.Broadcast '{}' capacity={frames} channels={} lossy={lossy} \
                 readers={readers}>",
                layout.code.code, layout.channels
            ),
            None => {
                format!("<picoring.Broadcast capacity={bytes} lossy={lossy} readers={readers}>")
            }
        }
    }
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
    /// The shape `recv` gives a record: one byte per item for byte records.
    layout: FrameLayout,
}

impl BroadcastReader {
    fn new(rx: Receiver, layout: FrameLayout) -> Self {
        BroadcastReader {
            inner: Guarded::new(<Self as PyClass>::NAME, Reading { rx, lag: 0 }),
            layout,
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
    /// The next record as a read-only memoryview of the ring, without a copy (bytes, or from a
    /// typed `Broadcast` frames of shape `(frames, channels)`, `(frames,)` for one channel,
    /// in the typecode's format, so `numpy.asarray` of it is a zero-copy array). It stays valid
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
        let exports = this.inner.exports.shared();
        let export = Export::new(
            slf.as_any(),
            exports,
            region,
            this.layout.code,
            this.layout.columns(),
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

    /// As `recv`, returning a copy of the record (and releasing it at once) as a new numpy
    /// array of the shape `recv` gives it (a memoryview of it when numpy is not importable),
    /// as `PicoRing.pop` returns frames.
    #[pyo3(signature = (timeout=None))]
    fn recv_array<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.next(py, timeout, false)?;
        loop {
            // Measured, then copied into an array allocated with the lock released; as in
            // `recv_bytes`, another thread's `recv` on this reader may take the record (and
            // export it) in between: measured again if so.
            let len = self.inner.with(py, |r, _| {
                self.inner.exports.check_no_readers()?;
                Ok(r.rx.try_peek().map_or(0, <[u8]>::len))
            })?;
            let (bytes, dest) = export::uninit_bytearray(py, len)?;
            let taken = self.inner.with(py, |r, _| {
                self.inner.exports.check_no_readers()?;
                match r.rx.try_peek() {
                    // Nothing held (taken by another thread): an empty array, as `recv_bytes`.
                    Err(_) => Ok(len == 0),
                    Ok(held) if held.len() == len => {
                        // SAFETY: `dest` is the new bytearray's `len` bytes, reachable by no
                        // one else; the held record stays in place under the lock.
                        unsafe { export::copy_out(py, held, dest) };
                        r.rx.consume();
                        Ok(true)
                    }
                    Ok(_) => Ok(false),
                }
            })?;
            if taken {
                return self.layout.array(py, bytes);
            }
        }
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
        match self
            .inner
            .with(py, |r, _| Ok((r.rx.capacity(), r.rx.policy(), r.lag)))
        {
            Ok((capacity, policy, lag)) => format!(
                "<picoring.BroadcastReader capacity={capacity} lossy={} lag={lag}>",
                if policy == Policy::Lossy {
                    "True"
                } else {
                    "False"
                }
            ),
            Err(_) if self.inner.is_closed(py) => "<picoring.BroadcastReader closed>".into(),
            Err(_) => "<picoring.BroadcastReader from another process>".into(),
        }
    }
}
