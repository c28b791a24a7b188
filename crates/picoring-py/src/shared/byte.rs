//! `SharedRingByte`: `PicoRingByte`'s calls on a byte ring shared between processes, plus
//! blocking `read`/`write`/waits, roles, names and pickling for `multiprocessing`.

use std::ffi::c_int;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use picoring::ipc::{Role, SharedRing};
use pyo3::exceptions::{PyTimeoutError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView, PyType};

use super::{
    broken_pipe, claim_only, io_error, push_whole, register_pickling, unlink, wait_end, Shared,
    Waited,
};
use crate::export::{self, readable_view_methods, Access, Export, Region};
use crate::guard::{count, guarded_class, Exports, Guarded, DETACH_BYTES};
use crate::input::ByteInput;
use crate::typecode::TypeCode;
use crate::wait::deadline;

fn new_object(py: Python<'_>, ring: SharedRing<u8>) -> PyResult<SharedRingByte> {
    static REGISTERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    register_pickling(py, &py.get_type::<SharedRingByte>(), &REGISTERED)?;
    let exports = Arc::<Exports>::default();
    let shared = Shared::new(ring, &exports);
    let mut inner = Guarded::new("SharedRingByte", shared);
    inner.exports = exports.into();
    Ok(SharedRingByte { inner })
}

guarded_class! {
    /// A byte ring shared between two processes: one producer, one consumer, the queued bytes
    /// one contiguous memoryview in each. `len()` counts the queued bytes as the end this
    /// object holds sees them (0 while it holds none).
    #[pyclass(name = "SharedRingByte")]
    struct SharedRingByte(Shared), len: |s| s.queued()?,
        held: |s| s.ring.capacity()
}

#[pymethods]
impl SharedRingByte {
    #[new]
    #[pyo3(signature = (capacity, name=None))]
    fn new(py: Python<'_>, capacity: isize, name: Option<&str>) -> PyResult<Self> {
        let capacity = count(capacity, "capacity")?;
        let ring = match name {
            None => SharedRing::<u8>::create(capacity),
            Some(name) => SharedRing::<u8>::create_named(name, capacity),
        }
        .map_err(io_error)?;
        new_object(py, ring)
    }

    /// Attaches to the named ring made with `SharedRingByte(capacity, name=name)`.
    #[classmethod]
    fn open(cls: &Bound<'_, PyType>, name: &str) -> PyResult<Self> {
        let ring = SharedRing::<u8>::open_named(name).map_err(io_error)?;
        new_object(cls.py(), ring)
    }

    /// Attaches to the ring behind file descriptor `fd`, which is duplicated (the caller
    /// keeps `fd`).
    #[classmethod]
    fn from_fd(cls: &Bound<'_, PyType>, fd: c_int) -> PyResult<Self> {
        // SAFETY: fcntl with F_DUPFD_CLOEXEC only reads `fd` (EBADF when it is not open)
        // and returns a new descriptor that nothing else owns.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: `dup` is a fresh descriptor owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(dup) };
        let ring = SharedRing::<u8>::from_fd(owned).map_err(io_error)?;
        new_object(cls.py(), ring)
    }

    /// The ring's file descriptor (owned by this object).
    fn fileno(&self, py: Python<'_>) -> PyResult<c_int> {
        self.inner.with(py, |s, _| Ok(s.ring.as_fd().as_raw_fd()))
    }

    /// The ring's name, `None` for an anonymous ring.
    #[getter]
    fn name(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.inner
            .with(py, |s, _| Ok(s.ring.name().map(str::to_owned)))
    }

    /// Removes the ring's name; attached objects keep working.
    fn unlink(&self, py: Python<'_>) -> PyResult<()> {
        unlink(self.name(py)?, "SharedRingByte")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        if self.inner.is_closed(py) {
            return "<picoring.SharedRingByte closed>".into();
        }
        match (self.capacity(py), self.role(py)) {
            (Ok(cap), Ok(role)) => format!(
                "<picoring.SharedRingByte capacity={cap} role={}>",
                role.unwrap_or("None")
            ),
            _ => "<picoring.SharedRingByte>".into(),
        }
    }

    /// Capacity in bytes.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |s, _| Ok(s.ring.capacity()))
    }

    /// `capacity() - len()`.
    fn free_len(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.capacity(py)? - self.len(py)?)
    }

    /// Which ends this object holds: `None`, `"producer"`, `"consumer"` or `"both"`.
    #[getter]
    fn role(&self, py: Python<'_>) -> PyResult<Option<&'static str>> {
        self.inner.with(py, |s, _| s.role())
    }

    /// Claims the producer end now; this object then refuses to read.
    fn as_producer(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        claim_only(&slf.get().inner, slf.py(), Role::Producer, |s| s)?;
        Ok(slf)
    }

    /// Claims the consumer end now; this object then refuses to write.
    fn as_consumer(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        claim_only(&slf.get().inner, slf.py(), Role::Consumer, |s| s)?;
        Ok(slf)
    }

    /// Whether the other end was held by a process that is gone.
    fn is_abandoned(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |s, _| s.is_abandoned())
    }

    /// Appends one byte; `False` when full.
    fn push(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let byte = crate::input::byte_value(value)?;
        let slot = self.inner.with(py, |s, _| s.producer())?;
        slot.with(py, |end, granted| {
            self.inner.exports.check_no_writers()?;
            let p = end.claimed()?;
            if p.push_slice(&[byte]) == 1 {
                *granted = 0;
                Ok(true)
            } else if p.is_abandoned() {
                Err(broken_pipe())
            } else {
                Ok(false)
            }
        })
    }

    /// Removes the oldest byte; `None` when empty.
    fn pop(&self, py: Python<'_>) -> PyResult<Option<u8>> {
        let slot = self.inner.with(py, |s, _| s.consumer())?;
        slot.with(py, |end, _| {
            let c = end.claimed()?;
            if c.is_empty() {
                return Ok(None);
            }
            self.inner.exports.check_no_readers()?;
            Ok(c.pop())
        })
    }

    /// Appends all of `data` (`True`), or nothing when it does not fit (`False`);
    /// `BrokenPipeError` when it does not fit and the consumer is gone.
    fn push_bytes(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        let input = ByteInput::new(data)?;
        let slot = self.inner.with(py, |s, _| s.producer())?;
        slot.with(py, |end, granted| {
            self.inner.exports.check_no_writers()?;
            let p = end.claimed()?;
            let src = input.bytes();
            if src.len() > p.free_len() {
                return if p.is_abandoned() {
                    Err(broken_pipe())
                } else {
                    Ok(false)
                };
            }
            if src.len() >= DETACH_BYTES {
                py.detach(|| p.push_slice(src));
            } else {
                p.push_slice(src);
            }
            *granted = 0;
            Ok(true)
        })
    }

    /// Removes and returns up to `n` bytes (`b""` when empty); never waits.
    fn pop_bytes<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyBytes>> {
        let n = count(n, "n")?;
        self.take_bytes(py, n)
    }

    /// Writes all of `data`, waiting for room; see the class notes.
    #[pyo3(signature = (data, timeout=None))]
    fn write(&self, data: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<usize> {
        let py = data.py();
        let until = deadline(timeout)?;
        let input = ByteInput::new(data)?;
        let (slot, capacity) = self
            .inner
            .with(py, |s, _| Ok((s.producer()?, s.ring.capacity())))?;
        let bytes = input.bytes();
        // Data that fits is published at once. Longer data goes in half-rings, so that the
        // reader drains one half while the next is written.
        let piece_len = if bytes.len() <= capacity {
            capacity
        } else {
            (capacity / 2).max(1)
        };
        let mut written = 0;
        while written < bytes.len() {
            let piece = &bytes[written..bytes.len().min(written + piece_len)];
            let what = "no room in the shared ring before the timeout";
            if let Err(err) = push_whole(&self.inner, &slot, py, until, piece, what) {
                if err.is_instance_of::<PyTimeoutError>(py) {
                    err.value(py).setattr("characters_written", written)?;
                }
                return Err(err);
            }
            written += piece.len();
        }
        Ok(bytes.len())
    }

    /// Waits for at least one byte, then removes and returns up to `n`; `b""` at the end
    /// of the stream (the producer gone and everything read) or for `n == 0`.
    #[pyo3(signature = (n, timeout=None))]
    fn read(&self, py: Python<'_>, n: isize, timeout: Option<f64>) -> PyResult<Py<PyBytes>> {
        let until = deadline(timeout)?;
        let n = count(n, "n")?;
        if n == 0 {
            return Ok(PyBytes::new(py, b"").unbind());
        }
        loop {
            let out = self.take_bytes(py, n)?;
            if !out.as_bytes().is_empty() || !self.wait_for_data(py, until)? {
                return Ok(out.unbind());
            }
        }
    }

    /// `read` into a writable buffer; returns the count (0 at the end of the stream).
    #[pyo3(signature = (buffer, timeout=None))]
    fn readinto(&self, buffer: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<usize> {
        let py = buffer.py();
        let until = deadline(timeout)?;
        let out = ByteInput::new(buffer)?;
        if out.is_readonly() {
            return Err(PyTypeError::new_err(
                "readinto() argument must be read-write bytes-like object",
            ));
        }
        if out.len() == 0 {
            return Ok(0);
        }
        let slot = self.inner.with(py, |s, _| s.consumer())?;
        loop {
            let got = slot.with(py, |end, _| {
                let c = end.claimed()?;
                let n = out.len().min(c.len());
                if n == 0 {
                    return Ok(0);
                }
                self.inner.exports.check_no_readers()?;
                let src = Region::of(&c.readable()[..n]);
                let dest = Region {
                    len: n,
                    ..out.region()
                };
                let copy = move || {
                    // SAFETY: `dest` is the caller's writable buffer of at least n bytes,
                    // `src` the n queued bytes, kept in place by the consumer's lock and
                    // alive by the mapping; they cannot overlap: the only writable export
                    // of this ring is a view of its free space, which holds no queued byte.
                    unsafe { src.copy_to(dest) }
                };
                if n >= DETACH_BYTES {
                    py.detach(copy);
                } else {
                    copy();
                }
                c.consume(n);
                Ok(n)
            })?;
            if got > 0 || !self.wait_for_data(py, until)? {
                return Ok(got);
            }
        }
    }

    /// Waits until `n` bytes are queued and returns how many are; fewer once the producer
    /// is gone (the end of the stream).
    #[pyo3(signature = (n=1, timeout=None))]
    fn wait_readable(&self, py: Python<'_>, n: isize, timeout: Option<f64>) -> PyResult<usize> {
        self.wait_as(py, Role::Consumer, n, timeout)
    }

    /// Waits until `n` bytes are free and returns how many are; `BrokenPipeError` once the
    /// consumer is gone.
    #[pyo3(signature = (n=1, timeout=None))]
    fn wait_writable(&self, py: Python<'_>, n: isize, timeout: Option<f64>) -> PyResult<usize> {
        self.wait_as(py, Role::Producer, n, timeout)
    }

    /// Drops `n` queued bytes; `ValueError` if fewer are queued.
    fn advance_tail(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        self.consume(py, n)
    }

    /// Drops `n` queued bytes; `ValueError` if fewer are queued.
    fn consume(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        let n = count(n, "n")?;
        let slot = self.inner.with(py, |s, _| s.consumer())?;
        slot.with(py, |end, _| {
            let c = end.claimed()?;
            let queued = c.len();
            if n > queued {
                return Err(PyValueError::new_err(format!(
                    "cannot consume {n} bytes: only {queued} are queued"
                )));
            }
            if n > 0 {
                self.inner.exports.check_no_readers()?;
                c.consume(n);
            }
            Ok(())
        })
    }

    /// Drops every queued byte.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let slot = self.inner.with(py, |s, _| s.consumer())?;
        slot.with(py, |end, _| {
            let c = end.claimed()?;
            self.inner.exports.check_none()?;
            let queued = c.len();
            c.consume(queued);
            Ok(())
        })
    }

    /// A writable memoryview of up to `n` free bytes (all by default): an exclusive lease,
    /// published by `commit` once released.
    #[pyo3(signature = (n=None))]
    fn get_writable_view<'py>(
        slf: &Bound<'py, Self>,
        n: Option<isize>,
    ) -> PyResult<Bound<'py, PyMemoryView>> {
        let py = slf.py();
        let me = slf.get();
        let n = n.map(|n| count(n, "n")).transpose()?;
        let slot = me.inner.with(py, |s, _| s.producer())?;
        let region = slot.with(py, |end, granted| {
            me.inner.exports.check_no_writers()?;
            let p = end.claimed()?;
            let free = p.writable();
            let len = n.map_or(free.len(), |n| n.min(free.len()));
            *granted = len;
            me.inner.exports.add(true);
            Ok(Region {
                ptr: free.as_mut_ptr(),
                len,
            })
        })?;
        let exports = me.inner.exports.shared();
        let export = Export::new(
            slf.as_any(),
            exports,
            region,
            TypeCode::BYTE,
            0,
            Access::Lease,
        )?;
        PyMemoryView::from(export.as_any())
    }

    /// Publishes the first `n` bytes written into the last writable view, once released.
    fn commit(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        let n = count(n, "n")?;
        let slot = self.inner.with(py, |s, _| s.producer())?;
        slot.with(py, |end, granted| {
            self.inner.exports.check_no_writers()?;
            if n > *granted {
                return Err(PyValueError::new_err(format!(
                    "cannot commit {n} bytes: the last get_writable_view() granted {granted} \
                         (free space not written through a view would publish stale bytes)"
                )));
            }
            let p = end.claimed()?;
            p.commit(n);
            *granted = 0;
            Ok(())
        })
    }

    /// Upstream 0.6 name of `commit`.
    fn advance_head(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        self.commit(py, n)
    }
}

readable_view_methods!(
    SharedRingByte,
    /// Every queued byte as one read-only memoryview, O(1), wrapped or not.
    "get_readable_view",
    |slf, view, flags| {
        let py = slf.py();
        let me = slf.get();
        let slot = me.inner.with(py, |s, _| s.consumer())?;
        let region = slot.with(py, |end, _| {
            let c = end.claimed()?;
            me.inner.exports.add(false);
            Ok(Region::of(c.readable()))
        })?;
        // SAFETY: the queued bytes stay mapped and in place until the count taken above is
        // given back: consuming them checks it, `close()` refuses while it is not zero,
        // and the producer writes only free space.
        unsafe { export::fill_counted(slf.as_any(), &me.inner.exports, view, flags, region, true) }
    }
);

impl SharedRingByte {
    /// `wait_readable` (as the consumer) and `wait_writable` (as the producer): waits until
    /// `n` bytes are queued or free; the reader gets what is queued once the producer is
    /// gone, the writer `BrokenPipeError` once the consumer is.
    fn wait_as(
        &self,
        py: Python<'_>,
        role: Role,
        n: isize,
        timeout: Option<f64>,
    ) -> PyResult<usize> {
        let until = deadline(timeout)?;
        let n = count(n, "n")?;
        let waited = match role {
            Role::Consumer => {
                let slot = self.inner.with(py, |s, _| s.consumer())?;
                let what = "the data did not arrive before the timeout";
                match wait_end(&self.inner, &slot, py, until, what, n)? {
                    Waited::Gone => {
                        slot.with(py, |end, _| Ok(Waited::Ready(end.claimed()?.len())))?
                    }
                    ready => ready,
                }
            }
            Role::Producer => {
                let slot = self.inner.with(py, |s, _| s.producer())?;
                let what = "no room in the shared ring before the timeout";
                wait_end(&self.inner, &slot, py, until, what, n)?
            }
        };
        match waited {
            Waited::Ready(count) => Ok(count),
            Waited::Gone => Err(broken_pipe()),
        }
    }

    /// Removes and returns up to `n` queued bytes, never waiting.
    fn take_bytes<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let slot = self.inner.with(py, |s, _| s.consumer())?;
        let exports = &self.inner.exports;
        export::new_bytes(
            &slot,
            py,
            |end| {
                let c = end.claimed()?;
                let n = n.min(c.len());
                if n > 0 {
                    exports.check_no_readers()?;
                }
                Ok(n)
            },
            |end, dest| {
                let c = end.claimed()?;
                if c.len() < dest.len {
                    return Ok(false);
                }
                exports.check_no_readers()?;
                // SAFETY: `dest` is fresh memory of `dest.len` bytes (`new_bytes`' contract).
                unsafe { export::copy_out(py, &c.readable()[..dest.len], dest) };
                c.consume(dest.len);
                Ok(true)
            },
        )
    }

    /// Waits until a byte is queued: `true`, or `false` at the end of the stream.
    fn wait_for_data(&self, py: Python<'_>, until: Option<std::time::Instant>) -> PyResult<bool> {
        let slot = self.inner.with(py, |s, _| s.consumer())?;
        let what = "no bytes arrived before the timeout";
        match wait_end(&self.inner, &slot, py, until, what, 1)? {
            Waited::Ready(_) => Ok(true),
            Waited::Gone => Ok(false),
        }
    }
}
