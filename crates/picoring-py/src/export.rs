//! Handing memory to Python: filling a `Py_buffer`, and the small object behind the memoryviews
//! of part of an object (a writable view of free space).

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::guard::{Exports, Guarded};

/// A region of memory to export: a raw pointer (the bytes live in a mapping the owner keeps
/// alive and in place while the export is counted) and a length.
#[derive(Clone, Copy)]
pub(crate) struct Region {
    pub(crate) ptr: *mut u8,
    pub(crate) len: usize,
}

// SAFETY: a `Region` is an address and a length; what may be done with it is decided under the
// owner's lock and by the export counters, not by which thread holds the numbers.
unsafe impl Send for Region {}

impl Region {
    pub(crate) fn of(slice: &[u8]) -> Self {
        Region {
            ptr: slice.as_ptr() as *mut u8,
            len: slice.len(),
        }
    }

    /// Copies this region's bytes to the start of `dest`.
    ///
    /// # Safety
    ///
    /// Both regions are valid for their lengths, `self.len <= dest.len`, they do not overlap,
    /// and nothing else touches `dest` meanwhile.
    pub(crate) unsafe fn copy_to(self, dest: Region) {
        debug_assert!(self.len <= dest.len);
        // SAFETY: the caller's contract.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr, dest.ptr, self.len) }
    }
}

/// A new `bytes` object holding bytes taken from `g`'s value, allocated with the lock released:
/// no Python object is ever allocated under an object's lock, since an allocation can start a
/// garbage collection whose finalizers and callbacks run Python code, which could call back
/// into the same object and wait for its lock forever.
///
/// `measure` (under the lock) says how many bytes to take; the object is then allocated without
/// the lock, and `fill` (under the lock again) copies exactly `out.len()` bytes into it and
/// returns `true`, or returns `false` (changing nothing) when the value no longer has them (a
/// thread changed it in between). Then the bytes are copied out under one lock instead.
pub(crate) fn new_bytes<'py, R>(
    g: &Guarded<R>,
    py: Python<'py>,
    measure: impl Fn(&mut R) -> PyResult<usize>,
    fill: impl Fn(&mut R, &mut [u8]) -> PyResult<bool>,
) -> PyResult<Bound<'py, PyBytes>> {
    let len = g.with(py, |value, _| measure(value))?;
    if len == 0 {
        return Ok(PyBytes::new(py, b""));
    }
    let mut filled = false;
    let out = PyBytes::new_with(py, len, |out| {
        filled = g.with(py, |value, _| fill(value, out))?;
        Ok(())
    })?;
    if filled {
        return Ok(out);
    }
    drop(out);
    let copy = g.with(py, |value, _| {
        let mut copy = vec![0; measure(value)?];
        // Measured under this same lock, so the bytes are there.
        if !copy.is_empty() && !fill(value, &mut copy)? {
            copy.clear();
        }
        Ok(copy)
    })?;
    Ok(PyBytes::new(py, &copy))
}

/// Fills `view` with a one-dimensional unsigned-byte buffer over `region`, owned by `owner`.
///
/// # Safety
///
/// `view` is the pointer CPython passed to `__getbuffer__`, and the region stays valid until
/// the matching `__releasebuffer__` (the caller counts the export).
pub(crate) unsafe fn fill(
    owner: &Bound<'_, PyAny>,
    view: *mut ffi::Py_buffer,
    flags: c_int,
    region: Region,
    readonly: bool,
) -> PyResult<()> {
    let len = isize::try_from(region.len)
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("region too large"))?;
    // SAFETY: `view` comes from CPython; FillInfo takes a new reference to `owner` on success
    // and raises BufferError (leaving `view` unset) if a writable view of read-only data is asked.
    let rc = unsafe {
        ffi::PyBuffer_FillInfo(
            view,
            owner.as_ptr(),
            region.ptr as *mut c_void,
            len,
            c_int::from(readonly),
            flags,
        )
    };
    if rc == -1 {
        Err(PyErr::fetch(owner.py()))
    } else {
        Ok(())
    }
}

/// The exporter behind a memoryview of part of an object. It holds the owner (so the memory
/// outlives every view) and one count in the owner's [`Exports`], given back when it is freed.
#[pyclass(frozen, module = "picoring._picoring", name = "_Export")]
pub(crate) struct Export {
    owner: Py<PyAny>,
    exports: Arc<Exports>,
    region: Region,
    writable: bool,
}

// SAFETY: see `Region`; the other fields are Sync.
unsafe impl Sync for Export {}

impl Export {
    /// Wraps `region` in a memoryview. The caller has already counted one export of kind
    /// `writable` in `exports` (under the owner's lock); this object gives it back on drop,
    /// including when creating the memoryview fails.
    pub(crate) fn memoryview<'py>(
        owner: &Bound<'py, PyAny>,
        exports: Arc<Exports>,
        region: Region,
        writable: bool,
    ) -> PyResult<Bound<'py, PyMemoryView>> {
        let export = Bound::new(
            owner.py(),
            Export {
                owner: owner.clone().unbind(),
                exports,
                region,
                writable,
            },
        )?;
        PyMemoryView::from(export.as_any())
    }
}

#[pymethods]
impl Export {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let (region, writable) = (slf.get().region, slf.get().writable);
        // SAFETY: the region stays valid while this object lives (its count blocks every call
        // that would free or move it), and every Py_buffer over it holds a reference to us.
        unsafe { fill(slf.as_any(), view, flags, region, !writable) }
    }

    fn __repr__(&self) -> String {
        format!(
            "<picoring export of {} bytes{}>",
            self.region.len,
            if self.writable { ", writable" } else { "" }
        )
    }

    /// The object whose memory this exports.
    #[getter]
    fn owner(&self, py: Python<'_>) -> Py<PyAny> {
        self.owner.clone_ref(py)
    }
}

impl Drop for Export {
    fn drop(&mut self) {
        self.exports.remove(self.writable);
    }
}
