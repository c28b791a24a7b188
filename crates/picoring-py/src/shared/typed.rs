//! `SharedRing(typecode, frames, channels=1, name=None)`: `PicoRing`'s typed frames in a ring
//! shared between processes. The ring is the library's byte ring of whole frames
//! (`SharedRing::create_framed`); its header records the frame size, checked on attach against
//! the typecode and channels the attaching side names.

use std::ffi::c_int;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use picoring::ipc::{Role, SharedRing as Ring};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyMemoryView, PyTuple, PyType};

use super::{claim_only, io_error, push_whole, register_pickling, wait_end, Shared, Waited};
use crate::export::{Access, Export, Region};
use crate::guard::{count, guarded_class, Exports, Guarded};
use crate::input::ByteInput;
use crate::typecode::TypeCode;
use crate::typed_ring::{frame_shape, frames_in, numpy_ndarray};
use crate::wait::deadline;

/// The ring and the shape of its frames.
pub(crate) struct Typed {
    shared: Shared,
    code: TypeCode,
    channels: usize,
    /// `channels * itemsize`.
    frame_bytes: usize,
}

impl Typed {
    fn frames_in(&self, input: &ByteInput<'_>) -> PyResult<usize> {
        frames_in(self.code, self.channels, input)
    }

    fn shape(&self, n: usize) -> Vec<usize> {
        frame_shape(self.channels, n)
    }

    fn capacity(&self) -> usize {
        self.shared.ring.capacity() / self.frame_bytes
    }
}

fn frame_bytes(code: TypeCode, channels: isize) -> PyResult<usize> {
    let channels = count(channels, "channels")?;
    if channels == 0 {
        return Err(PyValueError::new_err("channels must be at least 1"));
    }
    channels
        .checked_mul(code.itemsize())
        .ok_or_else(|| PyMemoryError::new_err("channels is too large"))
}

fn new_object(
    py: Python<'_>,
    ring: Ring<u8>,
    code: TypeCode,
    frame_bytes: usize,
) -> PyResult<SharedRing> {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    register_pickling(py, &py.get_type::<SharedRing>(), &REGISTERED)?;
    if ring.frame_len() != frame_bytes {
        return Err(PyValueError::new_err(format!(
            "the shared ring holds {}-byte frames, not {frame_bytes}-byte ones ({} channels of \
             '{}')",
            ring.frame_len(),
            frame_bytes / code.itemsize(),
            code.code
        )));
    }
    let exports = Arc::<Exports>::default();
    let typed = Typed {
        shared: Shared::new(ring, &exports),
        code,
        channels: frame_bytes / code.itemsize(),
        frame_bytes,
    };
    let mut inner = Guarded::new("SharedRing", typed);
    inner.exports = exports;
    Ok(SharedRing { inner })
}

guarded_class! {
    /// Typed frames in a ring shared between two processes. `len()` counts the queued frames
    /// as the end this object holds sees them (0 while it holds none).
    #[pyclass(name = "SharedRing")]
    struct SharedRing(Typed), len: |t| t.shared.queued()? / t.frame_bytes
}

#[pymethods]
impl SharedRing {
    #[new]
    #[pyo3(signature = (typecode, frames, channels=1, name=None))]
    fn new(
        py: Python<'_>,
        typecode: &Bound<'_, PyAny>,
        frames: isize,
        channels: isize,
        name: Option<&str>,
    ) -> PyResult<Self> {
        let code = TypeCode::from_py(typecode)?;
        let frame = frame_bytes(code, channels)?;
        let frames = count(frames, "frames")?;
        if frames == 0 {
            return Err(PyValueError::new_err("frames must be at least 1"));
        }
        let ring = Ring::create_framed(name, frames, frame).map_err(io_error)?;
        new_object(py, ring, code, frame)
    }

    /// Attaches to the named ring, whose frames must be `channels` items of `typecode`.
    #[classmethod]
    #[pyo3(signature = (name, typecode, channels=1))]
    fn open(
        cls: &Bound<'_, PyType>,
        name: &str,
        typecode: &Bound<'_, PyAny>,
        channels: isize,
    ) -> PyResult<Self> {
        let code = TypeCode::from_py(typecode)?;
        let frame = frame_bytes(code, channels)?;
        let ring = Ring::<u8>::open_named(name).map_err(io_error)?;
        new_object(cls.py(), ring, code, frame)
    }

    /// Attaches to the ring behind file descriptor `fd` (duplicated: the caller keeps it).
    #[classmethod]
    #[pyo3(signature = (fd, typecode, channels=1))]
    fn from_fd(
        cls: &Bound<'_, PyType>,
        fd: c_int,
        typecode: &Bound<'_, PyAny>,
        channels: isize,
    ) -> PyResult<Self> {
        let code = TypeCode::from_py(typecode)?;
        let frame = frame_bytes(code, channels)?;
        // SAFETY: fcntl with F_DUPFD_CLOEXEC only reads `fd` (EBADF when it is not open)
        // and returns a new descriptor that nothing else owns.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: `dup` is a fresh descriptor owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(dup) };
        let ring = Ring::<u8>::from_fd(owned).map_err(io_error)?;
        new_object(cls.py(), ring, code, frame)
    }

    /// What `from_fd` needs besides the descriptor (for pickling).
    fn _attach_args(&self, py: Python<'_>) -> PyResult<(String, usize)> {
        self.inner
            .with(py, |t, _| Ok((t.code.code.to_string(), t.channels)))
    }

    fn fileno(&self, py: Python<'_>) -> PyResult<c_int> {
        self.inner
            .with(py, |t, _| Ok(t.shared.ring.as_fd().as_raw_fd()))
    }

    #[getter]
    fn name(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.inner
            .with(py, |t, _| Ok(t.shared.ring.name().map(str::to_owned)))
    }

    fn unlink(&self, py: Python<'_>) -> PyResult<()> {
        let name = self.name(py)?.ok_or_else(|| {
            PyValueError::new_err("this SharedRing has no name (it is anonymous)")
        })?;
        Ring::<u8>::unlink(&name).map_err(io_error)
    }

    #[getter]
    fn typecode(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.with(py, |t, _| Ok(t.code.code.to_string()))
    }

    #[getter]
    fn itemsize(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |t, _| Ok(t.code.itemsize()))
    }

    #[getter]
    fn channels(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |t, _| Ok(t.channels))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match self
            .inner
            .with(py, |t, _| Ok((t.code.code, t.capacity(), t.channels)))
        {
            Ok((code, cap, channels)) => {
                format!(
                    "<picoring.SharedRing typecode='{code}' capacity={cap} channels={channels}>"
                )
            }
            Err(_) => "<picoring.SharedRing closed>".into(),
        }
    }

    /// Capacity in frames (at least the number asked: whole pages of whole frames).
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |t, _| Ok(t.capacity()))
    }

    fn free_len(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.capacity(py)? - self.len(py)?)
    }

    #[getter]
    fn role(&self, py: Python<'_>) -> PyResult<Option<&'static str>> {
        self.inner.with(py, |t, _| t.shared.role())
    }

    fn as_producer(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        claim_only(&slf.get().inner, slf.py(), Role::Producer, |t| {
            &mut t.shared
        })?;
        Ok(slf)
    }

    fn as_consumer(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        claim_only(&slf.get().inner, slf.py(), Role::Consumer, |t| {
            &mut t.shared
        })?;
        Ok(slf)
    }

    fn is_abandoned(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |t, _| t.shared.is_abandoned())
    }

    /// Appends every frame of `data` (shape `(n, channels)` or `(n * channels,)`, the
    /// ring's format), waiting up to `timeout` seconds for room for all of them; returns
    /// `n`. All or nothing: a reader sees every frame or none, even if this process dies.
    #[pyo3(signature = (data, timeout=None))]
    fn push(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<usize> {
        let until = deadline(timeout)?;
        let input = ByteInput::new(data)?;
        let (slot, n, capacity) = self.inner.with(py, |t, _| {
            Ok((t.shared.producer()?, t.frames_in(&input)?, t.capacity()))
        })?;
        if n > capacity {
            return Err(PyValueError::new_err(format!(
                "cannot push {n} frames into a ring of {capacity} frames"
            )));
        }
        let what = format!("no room for {n} frames before the timeout");
        push_whole(&self.inner, &slot, py, until, input.bytes(), &what)?;
        Ok(n)
    }

    /// Removes the oldest `n` frames (all queued frames when `None`, without waiting) into
    /// a new numpy array (a memoryview without numpy), waiting up to `timeout` seconds for
    /// `n` frames; fewer (possibly none) once the producer is gone.
    #[pyo3(signature = (n=None, timeout=None))]
    fn pop<'py>(
        &self,
        py: Python<'py>,
        n: Option<isize>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let until = deadline(timeout)?;
        let n = n.map(|n| count(n, "n")).transpose()?;
        let (slot, frame, capacity, code) = self.inner.with(py, |t, _| {
            Ok((t.shared.consumer()?, t.frame_bytes, t.capacity(), t.code))
        })?;
        if let Some(n) = n {
            if n > capacity {
                return Err(PyValueError::new_err(format!(
                    "cannot pop {n} frames from a ring of {capacity} frames"
                )));
            }
            let queued = slot.with(py, |end, _| Ok(end.claimed()?.len()))?;
            if queued < n * frame {
                let want = n * frame;
                wait_end(
                    &self.inner,
                    &slot,
                    py,
                    until,
                    &format!("fewer than {n} frames arrived before the timeout"),
                    |c, slice| c.wait_readable(want, Some(slice)),
                )?;
            }
        }
        loop {
            let len = slot.with(py, |end, _| {
                let queued = end.claimed()?.len() / frame;
                let take = n.map_or(queued, |n| n.min(queued));
                if take > 0 {
                    self.inner.exports.check_no_readers()?;
                }
                Ok(take * frame)
            })?;
            let (bytes, dest) = crate::export::uninit_bytearray(py, len)?;
            let taken = slot.with(py, |end, _| {
                let c = end.claimed()?;
                if c.len() < len {
                    return Ok(false); // another thread took frames meanwhile
                }
                if len > 0 {
                    self.inner.exports.check_no_readers()?;
                    // SAFETY: `dest` is the new bytearray's `len` bytes, reachable by no one else.
                    unsafe { crate::export::copy_out(py, &c.readable()[..len], dest) };
                    c.consume(len);
                }
                Ok(true)
            })?;
            if !taken {
                continue;
            }
            let shape = self.inner.with(py, |t, _| Ok(t.shape(len / frame)))?;
            let format = code.format.to_str().unwrap_or("B");
            let shape = PyTuple::new(py, &shape)?;
            return match numpy_ndarray(py) {
                Some(ndarray) => ndarray.call1((shape, format, bytes)),
                None => PyMemoryView::from(bytes.as_any())?.call_method1("cast", (format, shape)),
            };
        }
    }

    /// Drops the oldest `n` frames; `ValueError` if fewer are queued.
    fn consume(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        let n = count(n, "n")?;
        let (slot, frame) = self
            .inner
            .with(py, |t, _| Ok((t.shared.consumer()?, t.frame_bytes)))?;
        slot.with(py, |end, _| {
            let c = end.claimed()?;
            let queued = c.len() / frame;
            if n > queued {
                return Err(PyValueError::new_err(format!(
                    "cannot consume {n} frames: only {queued} are queued"
                )));
            }
            if n > 0 {
                self.inner.exports.check_no_readers()?;
                c.consume(n * frame);
            }
            Ok(())
        })
    }

    /// Drops every queued frame.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let (slot, frame) = self
            .inner
            .with(py, |t, _| Ok((t.shared.consumer()?, t.frame_bytes)))?;
        slot.with(py, |end, _| {
            let c = end.claimed()?;
            self.inner.exports.check_none()?;
            let queued = c.len() / frame * frame;
            c.consume(queued);
            Ok(())
        })
    }

    /// Waits until `n` frames are queued and returns how many are; fewer once the producer
    /// is gone.
    #[pyo3(signature = (n=1, timeout=None))]
    fn wait_readable(&self, py: Python<'_>, n: isize, timeout: Option<f64>) -> PyResult<usize> {
        let until = deadline(timeout)?;
        let n = count(n, "n")?;
        let (slot, frame) = self
            .inner
            .with(py, |t, _| Ok((t.shared.consumer()?, t.frame_bytes)))?;
        let want = n.saturating_mul(frame);
        let queued = slot.with(py, |end, _| Ok(end.claimed()?.len()))?;
        if queued >= want {
            return Ok(queued / frame);
        }
        match wait_end(
            &self.inner,
            &slot,
            py,
            until,
            "the frames did not arrive before the timeout",
            |c, slice| c.wait_readable(want, Some(slice)),
        )? {
            Waited::Ready(queued) => Ok(queued / frame),
            Waited::Gone => slot.with(py, |end, _| Ok(end.claimed()?.len() / frame)),
        }
    }

    /// Every queued frame as one read-only memoryview of shape `(frames, channels)`
    /// (`(frames,)` for one channel): `numpy.asarray(view)` is a zero-copy array.
    fn get_readable_view<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyMemoryView>> {
        let export = Self::export(slf)?;
        PyMemoryView::from(export.as_any())
    }

    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let export = Self::export(&slf)?;
        // SAFETY: forwarded from CPython's call.
        unsafe { Export::fill(&export, view, flags) }
    }
}

impl SharedRing {
    /// A counted, read-only typed export of the queued frames.
    fn export<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Export>> {
        let this = slf.get();
        let py = slf.py();
        let (slot, frame, code, channels) = this.inner.with(py, |t, _| {
            Ok((t.shared.consumer()?, t.frame_bytes, t.code, t.channels))
        })?;
        let region = slot.with(py, |end, _| {
            let c = end.claimed()?;
            let readable = c.readable();
            let whole = readable.len() / frame * frame;
            // The frames stay in place while this count lives: consuming them checks it,
            // `close()` refuses, and the producer writes only free space.
            this.inner.exports.add(false);
            Ok(Region::of(&readable[..whole]))
        })?;
        let columns = if channels == 1 { 0 } else { channels };
        let exports = this.inner.exports.clone();
        Export::new(slf.as_any(), exports, region, code, columns, Access::Read)
    }
}
