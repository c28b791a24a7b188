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
use pyo3::prelude::*;
use pyo3::types::PyType;

use super::{
    claim_only, io_error, push_whole, register_pickling, unlink, wait_end, Shared, Waited,
};
use crate::export::Region;
use crate::guard::{count, guarded_class, Exports, Guarded};
use crate::input::ByteInput;
use crate::typecode::TypeCode;
use crate::typed_ring::{frame_methods, FrameLayout};
use crate::wait::deadline;

/// The ring and the shape of its frames.
pub(crate) struct Typed {
    shared: Shared,
    layout: FrameLayout,
}

impl Typed {
    fn capacity(&self) -> usize {
        self.shared.ring.capacity() / self.layout.frame_bytes
    }
}

fn layout(code: TypeCode, channels: isize) -> PyResult<FrameLayout> {
    let channels = count(channels, "channels")?;
    if channels == 0 {
        return Err(PyValueError::new_err("channels must be at least 1"));
    }
    FrameLayout::new(code, channels).ok_or_else(|| PyMemoryError::new_err("channels is too large"))
}

fn new_object(py: Python<'_>, ring: Ring<u8>, layout: FrameLayout) -> PyResult<SharedRing> {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    register_pickling(py, &py.get_type::<SharedRing>(), &REGISTERED)?;
    if ring.frame_len() != layout.frame_bytes {
        return Err(PyValueError::new_err(format!(
            "the shared ring holds {}-byte frames, not {}-byte ones ({} channels of '{}')",
            ring.frame_len(),
            layout.frame_bytes,
            layout.channels,
            layout.code.code
        )));
    }
    let exports = Arc::<Exports>::default();
    let typed = Typed {
        shared: Shared::new(ring, &exports),
        layout,
    };
    let mut inner = Guarded::new("SharedRing", typed);
    inner.exports = exports.into();
    Ok(SharedRing { inner })
}

guarded_class! {
    /// Typed frames in a ring shared between two processes. `len()` counts the queued frames
    /// as the end this object holds sees them (0 while it holds none).
    #[pyclass(name = "SharedRing")]
    struct SharedRing(Typed), len: |t| t.shared.queued()? / t.layout.frame_bytes,
        held: |t| t.shared.ring.capacity()
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
        let layout = layout(code, channels)?;
        let frames = count(frames, "frames")?;
        if frames == 0 {
            return Err(PyValueError::new_err("frames must be at least 1"));
        }
        let ring = Ring::create_framed(name, frames, layout.frame_bytes).map_err(io_error)?;
        new_object(py, ring, layout)
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
        let layout = layout(code, channels)?;
        let ring = Ring::<u8>::open_named(name).map_err(io_error)?;
        new_object(cls.py(), ring, layout)
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
        let layout = layout(code, channels)?;
        // SAFETY: fcntl with F_DUPFD_CLOEXEC only reads `fd` (EBADF when it is not open)
        // and returns a new descriptor that nothing else owns.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: `dup` is a fresh descriptor owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(dup) };
        let ring = Ring::<u8>::from_fd(owned).map_err(io_error)?;
        new_object(cls.py(), ring, layout)
    }

    /// What `from_fd` needs besides the descriptor (for pickling).
    fn _attach_args(&self, py: Python<'_>) -> PyResult<(String, usize)> {
        self.inner.with(py, |t, _| {
            Ok((t.layout.code.code.to_string(), t.layout.channels))
        })
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
        unlink(self.name(py)?, "SharedRing")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match self.inner.with(py, |t, _| {
            let layout = t.layout;
            Ok((layout.code.code, t.capacity(), layout.channels))
        }) {
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
    fn push(&self, data: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<usize> {
        let py = data.py();
        let until = deadline(timeout)?;
        let input = ByteInput::new(data)?;
        let (slot, n, capacity) = self.inner.with(py, |t, _| {
            Ok((
                t.shared.producer()?,
                t.layout.frames_in(&input)?,
                t.capacity(),
            ))
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
    fn pop(&self, py: Python<'_>, n: Option<isize>, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let until = deadline(timeout)?;
        let n = n.map(|n| count(n, "n")).transpose()?;
        let (slot, layout, capacity) = self.inner.with(py, |t, _| {
            Ok((t.shared.consumer()?, t.layout, t.capacity()))
        })?;
        let frame = layout.frame_bytes;
        if let Some(n) = n {
            if n > capacity {
                return Err(PyValueError::new_err(format!(
                    "cannot pop {n} frames from a ring of {capacity} frames"
                )));
            }
            let what = format!("fewer than {n} frames arrived before the timeout");
            wait_end(&self.inner, &slot, py, until, &what, n * frame)?;
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
            return layout.array(py, bytes).map(Bound::unbind);
        }
    }

    /// Drops the oldest `n` frames; `ValueError` if fewer are queued.
    fn consume(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        let n = count(n, "n")?;
        let (slot, frame) = self
            .inner
            .with(py, |t, _| Ok((t.shared.consumer()?, t.layout.frame_bytes)))?;
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
            .with(py, |t, _| Ok((t.shared.consumer()?, t.layout.frame_bytes)))?;
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
            .with(py, |t, _| Ok((t.shared.consumer()?, t.layout.frame_bytes)))?;
        let want = n.saturating_mul(frame);
        let what = "the frames did not arrive before the timeout";
        match wait_end(&self.inner, &slot, py, until, what, want)? {
            Waited::Ready(queued) => Ok(queued / frame),
            Waited::Gone => slot.with(py, |end, _| Ok(end.claimed()?.len() / frame)),
        }
    }
}

frame_methods!(SharedRing);

impl SharedRing {
    fn layout(&self, py: Python<'_>) -> PyResult<FrameLayout> {
        self.inner.with(py, |t, _| Ok(t.layout))
    }

    /// The queued whole frames, counted as one read-only export.
    fn lend_frames(slf: &Bound<'_, Self>) -> PyResult<(Region, FrameLayout)> {
        let (py, inner) = (slf.py(), &slf.get().inner);
        let (slot, layout) = inner.with(py, |t, _| Ok((t.shared.consumer()?, t.layout)))?;
        let region = slot.with(py, |end, _| {
            let c = end.claimed()?;
            let readable = c.readable();
            let whole = readable.len() / layout.frame_bytes * layout.frame_bytes;
            // The frames stay in place while this count lives: consuming them checks it,
            // `close()` refuses, and the producer writes only free space.
            inner.exports.add(false);
            Ok(Region::of(&readable[..whole]))
        })?;
        Ok((region, layout))
    }
}
