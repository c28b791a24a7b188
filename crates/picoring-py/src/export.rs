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
/// `measure` (under the lock) says how many bytes to take. `fill` (under the lock, never for 0
/// bytes) writes exactly `dest.len` bytes to `dest` (uninitialised memory, valid for that many
/// writes, not overlapping the value) and returns `true`, or writes nothing and returns `false`
/// when the value no longer has them. Short results are copied to the stack under one lock; longer ones
/// go straight into a `bytes` object allocated after `measure` and filled under the lock again,
/// or, if a thread changed the value in between, copied out under one lock.
pub(crate) fn new_bytes<'py, R>(
    g: &Guarded<R>,
    py: Python<'py>,
    measure: impl Fn(&mut R) -> PyResult<usize>,
    fill: impl Fn(&mut R, Region) -> PyResult<bool>,
) -> PyResult<Bound<'py, PyBytes>> {
    /// Up to this many bytes, a second copy costs less than taking the lock twice.
    const ON_STACK: usize = 2048;
    let mut small = std::mem::MaybeUninit::<[u8; ON_STACK]>::uninit();
    let stack = Region {
        ptr: small.as_mut_ptr().cast(),
        len: ON_STACK,
    };
    let len = g.with(py, |value, _| {
        let len = measure(value)?;
        // Measured under this same lock, so the bytes are there.
        if len > 0 && len <= ON_STACK && !fill(value, Region { len, ..stack })? {
            return Ok(0);
        }
        Ok(len)
    })?;
    if len <= ON_STACK {
        // SAFETY: `fill` wrote the first `len` bytes of the stack buffer.
        let bytes = unsafe { std::slice::from_raw_parts(stack.ptr, len) };
        return Ok(PyBytes::new(py, bytes));
    }
    let (out, dest) = uninit_bytes(py, len)?;
    if g.with(py, |value, _| fill(value, dest))? {
        return Ok(out);
    }
    drop(out); // never shown to Python: its unwritten bytes are never read
    let mut copy: Vec<u8> = Vec::new();
    g.with(py, |value, _| {
        let len = measure(value)?;
        copy.reserve_exact(len);
        let dest = Region {
            ptr: copy.as_mut_ptr(),
            len,
        };
        if len > 0 && fill(value, dest)? {
            // SAFETY: `fill` wrote all `len` bytes of the reserved capacity.
            unsafe { copy.set_len(len) };
        }
        Ok(())
    })?;
    Ok(PyBytes::new(py, &copy))
}

/// A new `bytes` object of `len` bytes whose contents are not yet written, and where they go.
/// The caller writes all of them before the object is shown to Python.
fn uninit_bytes(py: Python<'_>, len: usize) -> PyResult<(Bound<'_, PyBytes>, Region)> {
    let size = isize::try_from(len).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // SAFETY: a NULL source asks CPython for an uninitialised object of `size` bytes; the result
    // is a new reference or NULL with an exception set.
    let out = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyBytes_FromStringAndSize(std::ptr::null(), size))?
            .cast_into_unchecked::<PyBytes>()
    };
    // SAFETY: `out` is a bytes object; its buffer holds `len` bytes (and a NUL).
    let ptr = unsafe { ffi::PyBytes_AsString(out.as_ptr()) }.cast::<u8>();
    Ok((out, Region { ptr, len }))
}

/// A new `bytearray` of `len` bytes whose contents are not yet written, and where they go. The
/// caller writes all of them before the object is shown to Python.
pub(crate) fn uninit_bytearray(
    py: Python<'_>,
    len: usize,
) -> PyResult<(Bound<'_, pyo3::types::PyByteArray>, Region)> {
    let size = isize::try_from(len).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // SAFETY: as in `uninit_bytes`, for a bytearray.
    let out = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyByteArray_FromStringAndSize(std::ptr::null(), size),
        )?
        .cast_into_unchecked::<pyo3::types::PyByteArray>()
    };
    // SAFETY: `out` is a bytearray holding `len` bytes; nothing else can reach it yet.
    let ptr = unsafe { ffi::PyByteArray_AsString(out.as_ptr()) }.cast::<u8>();
    Ok((out, Region { ptr, len }))
}

/// Copies `src` to `dest` (as long), releasing the GIL when it is long.
///
/// # Safety
///
/// `dest` is valid for `src.len()` writes and does not overlap `src`; nothing else touches it.
pub(crate) unsafe fn copy_out(py: Python<'_>, src: &[u8], dest: Region) {
    debug_assert_eq!(src.len(), dest.len);
    let src = Region::of(src);
    if src.len >= crate::guard::DETACH_BYTES {
        // SAFETY: the caller's contract; the source stays put while the caller holds its lock.
        py.detach(move || unsafe { src.copy_to(dest) });
    } else {
        // SAFETY: the caller's contract.
        unsafe { src.copy_to(dest) };
    }
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
