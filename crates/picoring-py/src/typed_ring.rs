//! `PicoRing(typecode, frames, channels=1, overwrite=False)`: a ring of typed frames (e.g.
//! float32 stereo audio) whose queued frames are always one contiguous `(frames, channels)`
//! array, with blocking `push`/`pop` and timeouts.
//!
//! The frames live in a `picoring::PicoRing<u8>` moved in whole frames; the capacity in frames
//! is exact (the byte ring may be larger, rounded up to pages, and the rest is never used).
//! Items stay aligned: the mapping is page-aligned and every offset is a multiple of the frame
//! size modulo a capacity that is a multiple of the item size.

use std::ffi::c_int;
use std::sync::Arc;

use picoring::PicoRing;
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyTuple};
use pyo3::PyClass;

use crate::byte_ring::ByteFifo;
use crate::export::{self, Access, Export, Region};
use crate::guard::{count, guarded_class, to_py_err, Exports, Guarded, LazyExports, DETACH_BYTES};
use crate::input::ByteInput;
use crate::typecode::{format_mismatch, TypeCode};
use crate::wait::{deadline, wait_for, wait_until, Wakes};

/// The ring and its fixed shape.
pub(crate) struct Frames {
    bytes: PicoRing<u8>,
    layout: FrameLayout,
    /// The exact capacity in frames (`frames * frame_bytes <= bytes.capacity()`).
    frames: usize,
    overwrite: bool,
}

impl Frames {
    fn len(&self) -> usize {
        self.bytes.len() / self.layout.frame_bytes
    }

    fn free(&self) -> usize {
        self.frames - self.len()
    }
}

/// The fixed shape of a typed ring's frames (`PicoRing`'s and `SharedRing`'s): `channels`
/// items of `code` each, and what is built from it (checks of pushed data, exports of the
/// queued frames, popped arrays).
#[derive(Clone, Copy)]
pub(crate) struct FrameLayout {
    pub(crate) code: TypeCode,
    pub(crate) channels: usize,
    /// `channels * itemsize`.
    pub(crate) frame_bytes: usize,
}

impl FrameLayout {
    /// `None` when `channels` items of `code` do not fit a `usize`.
    pub(crate) fn new(code: TypeCode, channels: usize) -> Option<Self> {
        let frame_bytes = channels.checked_mul(code.itemsize())?;
        Some(FrameLayout {
            code,
            channels,
            frame_bytes,
        })
    }

    /// The layout, frame count and byte size of `frames` frames of `channels` items of
    /// `typecode`, as a typed class's constructor takes them: `ValueError` for no frames or
    /// channels, `MemoryError` (as `bytearray(2**62)`) for a size no memory can hold.
    pub(crate) fn sized(
        typecode: &Bound<'_, PyAny>,
        frames: isize,
        channels: isize,
    ) -> PyResult<(Self, usize, usize)> {
        let code = TypeCode::from_py(typecode)?;
        let frames = count(frames, "frames")?;
        let channels = count(channels, "channels")?;
        if frames == 0 || channels == 0 {
            return Err(PyValueError::new_err(
                "frames and channels must be at least 1",
            ));
        }
        let too_large = || PyMemoryError::new_err("frames * channels is too large");
        let layout = FrameLayout::new(code, channels).ok_or_else(too_large)?;
        let total = frames
            .checked_mul(layout.frame_bytes)
            .ok_or_else(too_large)?;
        Ok((layout, frames, total))
    }

    /// How many frames a buffer holds, after checking its format and shape: `(n,)` items of
    /// interleaved frames, or `(n, channels)`.
    pub(crate) fn frames_in(&self, input: &ByteInput<'_>) -> PyResult<usize> {
        let (code, channels) = (self.code, self.channels);
        let (format, shape): (&std::ffi::CStr, &[usize]) = match input {
            ByteInput::Bytes(_) => (c"B", &[]),
            ByteInput::Buffer(buffer) => (buffer.format(), buffer.shape()),
        };
        if !code.matches(format) {
            return Err(format_mismatch(code, format));
        }
        let items = input.len() / code.itemsize();
        match shape {
            [] | [_] if items % channels == 0 => Ok(items / channels),
            [] | [_] => Err(PyValueError::new_err(format!(
                "{items} items are not a whole number of {channels}-channel frames"
            ))),
            [frames, c] if *c == channels => Ok(*frames),
            _ => Err(PyValueError::new_err(format!(
                "shape mismatch: the ring holds frames of {channels} channels, shape (frames, \
                 {channels}) or (frames * {channels},), the data has shape {shape:?}"
            ))),
        }
    }

    /// The shape of `n` frames as numpy spells it.
    pub(crate) fn shape(&self, n: usize) -> Vec<usize> {
        if self.channels == 1 {
            vec![n]
        } else {
            vec![n, self.channels]
        }
    }

    /// Rows of an [`Export`] of frames: `0` (one dimension) for one channel.
    pub(crate) fn columns(&self) -> usize {
        if self.channels == 1 {
            0
        } else {
            self.channels
        }
    }

    /// Fills `view` with a read-only typed export of the queued frames in `region`, owned by
    /// `owner`, for which the caller counted one reader in `exports` under the owner's lock.
    ///
    /// # Safety
    ///
    /// `view` is the pointer CPython passed to `__getbuffer__`, and the frames stay in place
    /// while the count lives.
    pub(crate) unsafe fn fill(
        &self,
        owner: &Bound<'_, PyAny>,
        exports: &LazyExports,
        region: Region,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let exports = exports.shared();
        let columns = self.columns();
        let export = Export::new(owner, exports, region, self.code, columns, Access::Read)?;
        // SAFETY: the caller's contract.
        unsafe { Export::fill(&export, view, flags) }
    }

    /// What `pop` returns for the frames copied into the new bytearray `bytes`: a numpy array
    /// of shape `(n, channels)` (`(n,)` for one channel) over it, or a memoryview of that
    /// shape when numpy is not importable.
    pub(crate) fn array<'py>(
        &self,
        py: Python<'py>,
        bytes: Bound<'py, PyByteArray>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let len = bytes.len();
        let format = self.code.format.to_str().unwrap_or("B");
        let shape = PyTuple::new(py, self.shape(len / self.frame_bytes))?;
        match numpy_ndarray(py) {
            // An array over the new bytearray: no copy beyond the one into it.
            Some(ndarray) => ndarray.call1((shape, format, bytes)),
            // `memoryview.cast` refuses a zero in the shape: an empty result is an exporter
            // of that shape over no bytes, as numpy's empty array is.
            None if len == 0 => {
                let exports = Arc::new(Exports::default());
                exports.add(false);
                let empty = PyBytes::new(py, b"");
                let region = Region::of(empty.as_bytes());
                let export = Export::new(
                    empty.as_any(),
                    exports,
                    region,
                    self.code,
                    self.columns(),
                    Access::Write,
                )?;
                Ok(PyMemoryView::from(export.as_any())?.into_any())
            }
            None => PyMemoryView::from(bytes.as_any())?.call_method1("cast", (format, shape)),
        }
    }
}

/// `numpy.ndarray`, looked up once; `None` when numpy cannot be imported.
pub(crate) fn numpy_ndarray(py: Python<'_>) -> Option<&Bound<'_, PyAny>> {
    static NDARRAY: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
    NDARRAY
        .get_or_init(py, || {
            py.import("numpy")
                .and_then(|np| np.getattr("ndarray"))
                .ok()
                .map(Bound::unbind)
        })
        .as_ref()
        .map(|f| f.bind(py))
}

guarded_class! {
    /// A ring of typed frames (`array.array` typecodes, `channels` items per frame) whose
    /// queued frames are one contiguous array, wrapped or not.
    #[pyclass(name = "PicoRing")]
    struct TypedRing(Wakes<Frames>), len: |frames| frames.len(),
        held: |frames| frames.bytes.capacity()
}

#[pymethods]
impl TypedRing {
    /// `PicoRing(typecode, frames, channels=1, overwrite=False)`: room for exactly `frames`
    /// frames; with `overwrite`, a push into a full ring evicts the oldest frames (keeping
    /// the latest `frames`) instead of waiting.
    #[new]
    #[pyo3(signature = (typecode, frames, channels=1, overwrite=false))]
    fn new(
        typecode: &Bound<'_, PyAny>,
        frames: isize,
        channels: isize,
        overwrite: bool,
    ) -> PyResult<Self> {
        let (layout, frames, total) = FrameLayout::sized(typecode, frames, channels)?;
        let bytes = PicoRing::with_capacity(total).map_err(to_py_err)?;
        Ok(TypedRing {
            inner: Guarded::new(
                <Self as PyClass>::NAME,
                Wakes::new(Frames {
                    bytes,
                    layout,
                    frames,
                    overwrite,
                }),
            ),
        })
    }

    /// Whether a push into a full ring evicts the oldest frames.
    #[getter]
    fn overwrite(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |f, _| Ok(f.overwrite))
    }

    /// Capacity in frames: exactly what was asked for.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |f, _| Ok(f.frames))
    }

    /// Free frames: `capacity() - len()`.
    fn free_len(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |f, _| Ok(f.free()))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match self.inner.with(py, |f, _| {
            let layout = f.layout;
            Ok((layout.code.code, f.len(), f.frames, layout.channels))
        }) {
            Ok((code, len, frames, channels)) => format!(
                "<picoring.PicoRing '{code}' len={len} capacity={frames} channels={channels}>"
            ),
            Err(_) if self.inner.is_closed(py) => "<picoring.PicoRing closed>".into(),
            Err(_) => "<picoring.PicoRing from another process>".into(),
        }
    }

    /// Appends every frame of `data` (a buffer of the ring's format: `(n, channels)` or `n`
    /// interleaved frames' items) and returns how many frames were stored. All or nothing:
    /// when it does not fit, waits up to `timeout` seconds (`None`: forever) for room, then
    /// raises `TimeoutError` having written nothing. In overwrite mode it never waits: the
    /// oldest frames are evicted (`BufferError` if a view still exports them), and of data
    /// longer than the ring only the last `capacity()` frames are kept. Pushes and pops are
    /// whole: a producer pushing blocks of `n` frames and a consumer popping blocks of `m`
    /// can only wait for each other forever if `n + m > capacity()`; size the ring for both.
    #[pyo3(signature = (data, timeout=None))]
    fn push(&self, data: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<usize> {
        let py = data.py();
        let input = ByteInput::new(data)?;
        let needed = std::cell::Cell::new(0);
        wait_for(
            &self.inner,
            py,
            timeout,
            || format!("no room for {} frames before the timeout", needed.get()),
            |f, _| {
                let n = f.layout.frames_in(&input)?;
                needed.set(n);
                let mut src = input.bytes();
                if f.overwrite {
                    let kept = n.min(f.frames);
                    src = &src[(n - kept) * f.layout.frame_bytes..];
                    let evicted = kept.saturating_sub(f.free());
                    if evicted > 0 {
                        self.inner.exports.check_no_readers()?;
                        f.bytes.consume(evicted * f.layout.frame_bytes);
                    }
                } else if n > f.frames {
                    return Err(PyValueError::new_err(format!(
                        "cannot push {n} frames into a ring of {} frames",
                        f.frames
                    )));
                } else if n > f.free() {
                    return Ok(None);
                }
                let (start, span) = ByteFifo::span(&f.bytes);
                let owned;
                if input.overlaps(start, span) {
                    // The ring fed to itself: copy first so no slice of the source aliases it.
                    owned = src.to_vec();
                    src = &owned;
                }
                if src.len() >= DETACH_BYTES {
                    py.detach(|| f.bytes.push_slice(src));
                } else {
                    f.bytes.push_slice(src);
                }
                Ok(Some(src.len() / f.layout.frame_bytes))
            },
        )
    }

    /// Removes and returns the oldest `n` frames (all queued frames when `n` is `None`, without
    /// waiting) as a new numpy array of shape `(n, channels)` (`(n,)` for one channel), or a
    /// memoryview of that shape when numpy is not importable. Waits up to `timeout` seconds
    /// (`None`: forever) until `n` frames are queued, then raises `TimeoutError` having removed
    /// nothing. `ValueError` if `n` exceeds the capacity; `BufferError` while a view exports them.
    #[pyo3(signature = (n=None, timeout=None))]
    fn pop<'py>(
        &self,
        py: Python<'py>,
        n: Option<isize>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n = n.map(|n| count(n, "n")).transpose()?;
        let until = deadline(timeout)?;
        loop {
            // Wait until the frames are there, taking nothing: the array they go into is
            // allocated with the lock released (no Python object is allocated under a lock).
            let (len, layout) = wait_until(
                &self.inner,
                py,
                until,
                || {
                    format!(
                        "fewer than {} frames arrived before the timeout",
                        n.unwrap_or(0)
                    )
                },
                |f, _| {
                    let n = match n {
                        Some(n) if n > f.frames => {
                            return Err(PyValueError::new_err(format!(
                                "cannot pop {n} frames from a ring of {} frames",
                                f.frames
                            )))
                        }
                        Some(n) if n > f.len() => return Ok(None),
                        Some(n) => n,
                        None => f.len(),
                    };
                    let len = n * f.layout.frame_bytes;
                    if len > 0 {
                        self.inner.exports.check_no_readers()?;
                    }
                    Ok(Some((len, f.layout)))
                },
            )?;
            let (bytes, dest) = export::uninit_bytearray(py, len)?;
            let taken = self.inner.with(py, |f, _| {
                if f.bytes.len() < len {
                    return Ok(false); // another thread took frames meanwhile
                }
                if len > 0 {
                    self.inner.exports.check_no_readers()?;
                    // SAFETY: `dest` is the new bytearray's `len` bytes, reachable by no one else.
                    unsafe { export::copy_out(py, &f.bytes.readable()[..len], dest) };
                    f.bytes.consume(len);
                    f.notify();
                }
                Ok(true)
            })?;
            if !taken {
                continue; // the unwritten bytearray is dropped unseen
            }
            return layout.array(py, bytes);
        }
    }

    /// Drops the oldest `n` frames without copying them; `ValueError` if fewer are queued,
    /// `BufferError` while a view exports them.
    fn consume(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        let n = count(n, "n")?;
        self.inner.with(py, |f, _| {
            if n > f.len() {
                return Err(PyValueError::new_err(format!(
                    "cannot consume {n} frames: only {} are queued",
                    f.len()
                )));
            }
            if n > 0 {
                self.inner.exports.check_no_readers()?;
                let len = n * f.layout.frame_bytes;
                f.bytes.consume(len);
                f.notify();
            }
            Ok(())
        })
    }

    /// Drops every queued frame; refused while a view is alive.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.with(py, |f, _| {
            self.inner.exports.check_none()?;
            f.bytes.clear();
            f.notify();
            Ok(())
        })
    }
}

frame_methods!(TypedRing);

impl TypedRing {
    fn layout(&self, py: Python<'_>) -> PyResult<FrameLayout> {
        self.inner.with(py, |f, _| Ok(f.layout))
    }

    /// The queued frames, counted as one read-only export.
    fn lend_frames(slf: &Bound<'_, Self>) -> PyResult<(Region, FrameLayout)> {
        let inner = &slf.get().inner;
        inner.with(slf.py(), |f, _| {
            // The frames stay in place while this count lives: every call that would consume,
            // clear, overwrite or free them checks it.
            inner.exports.add(false);
            Ok((Region::of(f.bytes.readable()), f.layout))
        })
    }
}

/// The typed-frame calls `PicoRing` and `SharedRing` share, over the class's `layout(py)` and
/// `lend_frames(slf)` (the queued whole frames, counted as one read-only export).
macro_rules! frame_methods {
    ($class:ty) => {
        #[pymethods]
        impl $class {
            /// The typecode of the items, as in `array.array`.
            #[getter]
            fn typecode(&self, py: Python<'_>) -> PyResult<String> {
                Ok(self.layout(py)?.code.code.to_string())
            }

            /// Bytes per item.
            #[getter]
            fn itemsize(&self, py: Python<'_>) -> PyResult<usize> {
                Ok(self.layout(py)?.code.itemsize())
            }

            /// Items per frame.
            #[getter]
            fn channels(&self, py: Python<'_>) -> PyResult<usize> {
                Ok(self.layout(py)?.channels)
            }
        }

        $crate::export::readable_view_methods!(
            $class,
            /// Every queued frame as one read-only memoryview of shape `(frames, channels)`
            /// (`(frames,)` for one channel), O(1) and contiguous whether or not the frames
            /// wrap: `numpy.asarray(ring.get_readable_view())` is a zero-copy array, and
            /// `numpy.asarray(ring)` works too. Counted until released.
            "get_readable_view",
            |slf, view, flags| {
                let (region, layout) = Self::lend_frames(&slf)?;
                let exports = &slf.get().inner.exports;
                // SAFETY: forwarded from CPython's call; the count `lend_frames` took keeps
                // the frames in place.
                unsafe { layout.fill(slf.as_any(), exports, region, view, flags) }
            }
        );
    };
}
pub(crate) use frame_methods;
