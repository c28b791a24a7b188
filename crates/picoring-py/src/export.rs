//! Handing memory to Python: new `bytes`/`bytearray` objects filled without a second copy,
//! filling a `Py_buffer`, and [`Export`], the object behind every memoryview of part of an
//! object (a byte ring's writable lease, a typed list's items, a typed ring's frames).

use std::ffi::{c_int, c_void, CStr};
use std::sync::Arc;

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::guard::{Exports, Guarded, LazyExports};
use crate::typecode::TypeCode;

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
/// when the value no longer has them. Short results are copied to the stack under one lock;
/// longer ones go straight into a `bytes` object allocated after `measure` and filled under the
/// lock again, or, if a thread changed the value in between, copied out under one lock.
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

/// [`fill`] for an export the caller counted as a reader in `exports`: on failure the count is
/// given back; on success `__releasebuffer__` gives it back.
///
/// # Safety
///
/// As [`fill`].
pub(crate) unsafe fn fill_counted(
    owner: &Bound<'_, PyAny>,
    exports: &LazyExports,
    view: *mut ffi::Py_buffer,
    flags: c_int,
    region: Region,
    readonly: bool,
) -> PyResult<()> {
    // Filled outside the owner's lock: a failure creates an exception object.
    // SAFETY: the caller's contract.
    unsafe { fill(owner, view, flags, region, readonly) }.inspect_err(|_| exports.remove(false))
}

/// What an [`Export`] lets its consumers do, and which count it holds in the owner's
/// [`Exports`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read-only; counted as a reader (queued frames).
    Read,
    /// Writable; counted as a reader: the items are written in place, and nothing may free,
    /// move or overwrite them while it lives (a typed list's items).
    Write,
    /// Writable free space, counted as a writer: an exclusive lease on it (a byte ring's
    /// `get_writable_view`).
    Lease,
}

/// The exporter behind a memoryview (or numpy array) of memory owned by another object: items
/// of a typecode, in one dimension or in rows of `columns` (a byte view is the 1-D `B` case).
/// It holds the owner, so the memory outlives every view, and one count in the owner's
/// [`Exports`], given back when it is freed; it owns the shape and strides it exports.
#[pyclass(frozen, module = "picoring._picoring", name = "_Export")]
pub(crate) struct Export {
    owner: Py<PyAny>,
    exports: Arc<Exports>,
    region: Region,
    access: Access,
    format: &'static CStr,
    itemsize: isize,
    ndim: c_int,
    shape: [isize; 2],
    strides: [isize; 2],
}

// SAFETY: the region is an address and a length whose use is decided by the owner's lock and
// export counters (see `Region`); the other fields are Sync.
unsafe impl Sync for Export {}

impl Export {
    /// Wraps `region` (items of `code`, in rows of `columns` items; `columns == 0` for a 1-D
    /// export). The caller has already counted one export of `access`'s kind in `exports`
    /// under the owner's lock; this object gives it back when freed, even if creating it fails.
    pub(crate) fn new<'py>(
        owner: &Bound<'py, PyAny>,
        exports: Arc<Exports>,
        region: Region,
        code: TypeCode,
        columns: usize,
        access: Access,
    ) -> PyResult<Bound<'py, Export>> {
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
            Export {
                owner: owner.clone().unbind(),
                exports,
                region,
                access,
                format: code.format,
                itemsize: itemsize as isize,
                ndim,
                shape,
                strides,
            },
        )
    }

    /// Fills `view` for a consumer of this export.
    ///
    /// # Safety
    ///
    /// `view` is the pointer CPython passed to a `__getbuffer__`.
    pub(crate) unsafe fn fill(
        slf: &Bound<'_, Export>,
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
        let readonly = this.access == Access::Read;
        // SAFETY: the region stays valid while this object lives (its count blocks every call
        // that would free, move or overwrite it), and the view holds a reference to us.
        unsafe { fill(slf.as_any(), view, flags, this.region, readonly)? };
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
impl Export {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        // SAFETY: forwarded from CPython's call.
        unsafe { Export::fill(&slf, view, flags) }
    }

    fn __repr__(&self) -> String {
        format!(
            "<picoring export of {} bytes, format {:?}{}>",
            self.region.len,
            self.format,
            if self.access == Access::Read {
                ""
            } else {
                ", writable"
            }
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
        self.exports.remove(self.access == Access::Lease);
    }
}

/// A `#[pymethods]` block for a class whose buffer is its queued data: the method named
/// `$view` in Python returns a memoryview of them, made through the class's `__getbuffer__`,
/// whose body `$fill` fills the `Py_buffer` (the names between the bars bind the call's
/// arguments: the object, the buffer, the flags).
macro_rules! readable_view_methods {
    (
        $class:ty,
        $(#[doc = $doc:literal])* $view:literal,
        |$slf:ident, $buf:ident, $flags:ident| $fill:block
    ) => {
        // A direct method (see `direct`): the view is the call programs make per frame.
        $crate::direct::direct_method!(
            $(#[doc = $doc])*
            $class, fn readable_view = $view "($self, /)",
            no_args |slf| pyo3::types::PyMemoryView::from(slf.as_any()).map(Bound::into_any)
        );

        #[pymethods]
        impl $class {
            unsafe fn __getbuffer__(
                $slf: Bound<'_, Self>,
                $buf: *mut pyo3::ffi::Py_buffer,
                $flags: std::ffi::c_int,
            ) -> PyResult<()> $fill
        }
    };
}

pub(crate) use readable_view_methods;
