//! A typed buffer export (format, item size, shape, strides) over memory an owner keeps in
//! place: the exporter behind the memoryviews and numpy arrays of `PicoList` and `PicoRing`.

use std::ffi::{c_int, CStr};
use std::sync::Arc;

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::export::Region;
use crate::guard::Exports;
use crate::typecode::TypeCode;

/// A typed view of memory owned by another object: the exporter behind the memoryviews and
/// numpy arrays of `PicoList` and `PicoRing`. It holds the owner and one count in its
/// [`Exports`] (given back when it is freed), and owns the shape and strides it exports.
#[pyclass(frozen, module = "picoring._picoring", name = "_TypedExport")]
pub(crate) struct TypedExport {
    owner: Py<PyAny>,
    exports: Arc<Exports>,
    region: Region,
    format: &'static CStr,
    itemsize: isize,
    ndim: c_int,
    shape: [isize; 2],
    strides: [isize; 2],
    writable: bool,
}

// SAFETY: the region is an address and a length whose use is decided by the owner's lock and
// export counters (as for `Export`); the other fields are Sync.
unsafe impl Sync for TypedExport {}

impl TypedExport {
    /// Wraps `region` (items of `code`, in rows of `columns` items; `columns == 0` for a 1-D
    /// export). The caller has already counted one reader export in `exports` under the
    /// owner's lock; this object gives it back when freed, even if creating it fails.
    pub(crate) fn new<'py>(
        owner: &Bound<'py, PyAny>,
        exports: Arc<Exports>,
        region: Region,
        code: TypeCode,
        columns: usize,
        writable: bool,
    ) -> PyResult<Bound<'py, TypedExport>> {
        // Nothing here may fail before the object exists (its drop gives the count back).
        // The region is memory the owner holds, so its length, and every count of items or
        // bytes within it, is at most isize::MAX: the casts are exact.
        let itemsize = code.itemsize();
        let items = region.len / itemsize;
        let (ndim, shape, strides) = match items.checked_div(columns) {
            None => (1, [items as isize, 0], [itemsize as isize, 0]),
            Some(rows) => (
                2,
                [rows as isize, columns as isize],
                [(columns * itemsize) as isize, itemsize as isize],
            ),
        };
        Bound::new(
            owner.py(),
            TypedExport {
                owner: owner.clone().unbind(),
                exports,
                region,
                format: code.format,
                itemsize: itemsize as isize,
                ndim,
                shape,
                strides,
                writable,
            },
        )
    }

    /// Fills `view` for a consumer of this export.
    ///
    /// # Safety
    ///
    /// `view` is the pointer CPython passed to a `__getbuffer__`.
    pub(crate) unsafe fn fill(
        slf: &Bound<'_, TypedExport>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let f_contiguous = flags & ffi::PyBUF_F_CONTIGUOUS == ffi::PyBUF_F_CONTIGUOUS;
        if f_contiguous && this.ndim == 2 && this.shape[0] > 1 && this.shape[1] > 1 {
            return Err(PyBufferError::new_err(
                "the frames are C-contiguous (row-major), not Fortran-contiguous",
            ));
        }
        // SAFETY: the region stays valid while this object lives (its count blocks every call
        // that would free, move or overwrite it), and the view holds a reference to us.
        unsafe {
            crate::export::fill(slf.as_any(), view, flags, this.region, !this.writable)?;
        }
        // SAFETY: `fill` succeeded, so `view` is initialised; the shape, strides and format we
        // point it at live in this (frozen, heap-allocated) object or in static memory, and the
        // view keeps this object alive.
        unsafe {
            let view = &mut *view;
            view.itemsize = this.itemsize;
            view.format = if flags & ffi::PyBUF_FORMAT != 0 {
                this.format.as_ptr() as *mut _
            } else {
                std::ptr::null_mut()
            };
            // Without PyBUF_ND the consumer asked for plain bytes: one dimension, no shape.
            if flags & ffi::PyBUF_ND == ffi::PyBUF_ND {
                view.ndim = this.ndim;
                view.shape = this.shape.as_ptr() as *mut isize;
            } else {
                view.ndim = 1;
                view.shape = std::ptr::null_mut();
            }
            view.strides = if flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES {
                this.strides.as_ptr() as *mut isize
            } else {
                std::ptr::null_mut()
            };
        }
        Ok(())
    }
}

#[pymethods]
impl TypedExport {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        // SAFETY: forwarded from CPython's call.
        unsafe { TypedExport::fill(&slf, view, flags) }
    }

    fn __repr__(&self) -> String {
        format!(
            "<picoring typed export of {} bytes, format {:?}>",
            self.region.len, self.format
        )
    }

    /// The object whose memory this exports.
    #[getter]
    fn owner(&self, py: Python<'_>) -> Py<PyAny> {
        self.owner.clone_ref(py)
    }
}

impl Drop for TypedExport {
    fn drop(&mut self) {
        self.exports.remove(false);
    }
}
