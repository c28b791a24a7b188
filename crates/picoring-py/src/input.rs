//! Bytes-like arguments, read in place through the buffer protocol.

use std::ffi::CStr;

use pyo3::exceptions::{PyBufferError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A buffer export held for as long as this value lives (released on drop). Unlike PyO3's
/// `PyUntypedBuffer` it accepts 0-d exports (a numpy scalar such as `numpy.float32(1)`: one
/// item, no shape), which `bytearray()` and `memoryview()` accept too.
pub(crate) struct Buffer {
    /// Boxed: the exporter may keep pointers into the struct it filled.
    view: Box<ffi::Py_buffer>,
}

impl Buffer {
    /// Requests a strided, formatted, read-only-or-writable export of `obj`.
    fn get(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut view = Box::new(std::mem::MaybeUninit::<ffi::Py_buffer>::zeroed());
        // SAFETY: `view` points to writable memory for one Py_buffer; on success CPython fills
        // it and we own one export, released in `Drop`.
        let rc =
            unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), ffi::PyBUF_FULL_RO) };
        if rc == -1 {
            return Err(PyErr::fetch(obj.py()));
        }
        // SAFETY: PyObject_GetBuffer succeeded, so the struct is initialised.
        let view = unsafe { Box::from_raw(Box::into_raw(view).cast::<ffi::Py_buffer>()) };
        Ok(Buffer { view })
    }

    /// The `struct`-module format of the items (`"B"` when the exporter gives none).
    pub(crate) fn format(&self) -> &CStr {
        if self.view.format.is_null() {
            c"B"
        } else {
            // SAFETY: a non-null format is a NUL-terminated string the exporter keeps alive
            // until the export is released.
            unsafe { CStr::from_ptr(self.view.format) }
        }
    }

    /// The shape: empty for a 0-d export (one item).
    pub(crate) fn shape(&self) -> &[usize] {
        let ndim = usize::try_from(self.view.ndim).unwrap_or(0);
        if ndim == 0 || self.view.shape.is_null() {
            return &[];
        }
        // SAFETY: with PyBUF_ND requested, a non-null shape holds `ndim` non-negative
        // Py_ssize_t, which have usize's layout; they live as long as the export.
        unsafe { std::slice::from_raw_parts(self.view.shape.cast::<usize>(), ndim) }
    }

    pub(crate) fn readonly(&self) -> bool {
        self.view.readonly != 0
    }

    pub(crate) fn len_bytes(&self) -> usize {
        usize::try_from(self.view.len).unwrap_or(0)
    }

    pub(crate) fn buf_ptr(&self) -> *mut u8 {
        self.view.buf.cast()
    }

    pub(crate) fn is_c_contiguous(&self) -> bool {
        // SAFETY: `view` is a filled export.
        unsafe { ffi::PyBuffer_IsContiguous(&*self.view, b'C' as std::ffi::c_char) != 0 }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: the export was filled by PyObject_GetBuffer and is released exactly once,
        // with the GIL held.
        Python::attach(|_| unsafe { ffi::PyBuffer_Release(&mut *self.view) });
    }
}

/// The value of an exact `int` (not a subclass) that fits an `i64`, read without running
/// Python code, allocating or raising; `None` for anything else. The fast path of the number
/// conversions: their general path calls `__index__` and builds exceptions.
#[inline]
pub(crate) fn exact_int(value: &Bound<'_, PyAny>) -> Option<i64> {
    if !value.is_exact_instance_of::<pyo3::types::PyInt>() {
        return None;
    }
    let mut overflow = 0;
    // SAFETY: `value` is an exact int, for which this reads the digits and only reports an
    // overflow in `overflow` (no exception, no `__index__` call).
    let n = unsafe { ffi::PyLong_AsLongLongAndOverflow(value.as_ptr(), &mut overflow) };
    (overflow == 0).then_some(n)
}

/// One byte value, converted as `bytearray` converts it: through `__index__` (`TypeError`
/// otherwise), and `ValueError` for any int outside `range(0, 256)`, however large.
#[inline]
pub(crate) fn byte_value(value: &Bound<'_, PyAny>) -> PyResult<u8> {
    match exact_int(value).map(u8::try_from) {
        Some(Ok(byte)) => Ok(byte),
        _ => byte_value_slow(value),
    }
}

/// [`byte_value`] for anything but an exact int in `range(0, 256)`.
#[cold]
#[inline(never)]
fn byte_value_slow(value: &Bound<'_, PyAny>) -> PyResult<u8> {
    let out_of_range = || PyValueError::new_err("byte must be in range(0, 256)");
    match value.extract::<isize>() {
        Ok(n) => u8::try_from(n).map_err(|_| out_of_range()),
        Err(err) if err.is_instance_of::<PyOverflowError>(value.py()) => Err(out_of_range()),
        Err(err) => Err(err),
    }
}

/// An index as `bytearray` and `array.array` take it: through `__index__`, and `IndexError`
/// (not `OverflowError`) when it does not fit a `Py_ssize_t`.
pub(crate) fn index_arg(index: &Bound<'_, PyAny>) -> PyResult<isize> {
    // An exact int is read directly: `PyNumber_AsSsize_t` takes a detour through
    // `__index__`'s machinery. Anything else, a huge int included, takes the general path.
    if let Some(i) = exact_int(index).and_then(|n| isize::try_from(n).ok()) {
        return Ok(i);
    }
    // SAFETY: `index` is a valid object; PyExc_IndexError is a static exception type.
    let i = unsafe { ffi::PyNumber_AsSsize_t(index.as_ptr(), ffi::PyExc_IndexError) };
    if i == -1 {
        if let Some(err) = PyErr::take(index.py()) {
            return Err(err);
        }
    }
    Ok(i)
}

/// The name of `obj`'s type, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// The bytes of any C-contiguous buffer (`bytes`, `bytearray`, `memoryview`, `array.array`,
/// numpy arrays of any dtype), borrowed without a copy for as long as this value lives.
pub(crate) enum ByteInput<'py> {
    /// `bytes` is immutable: read directly, skipping the buffer protocol's bookkeeping (a heap
    /// allocation per call), which is most of the cost of a small push.
    Bytes(Bound<'py, PyBytes>),
    /// Anything else goes through the buffer protocol, which also pins a `bytearray` against
    /// resizing while we read it.
    Buffer(Buffer),
}

impl<'py> ByteInput<'py> {
    /// Requests a buffer from `obj`; non-buffers are a `TypeError`, non-contiguous buffers a
    /// `BufferError` (copying them silently would hide a slow path).
    pub(crate) fn new(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(ByteInput::Bytes(bytes.clone()));
        }
        let buffer = Buffer::get(obj).map_err(|err| {
            if err.is_instance_of::<PyBufferError>(obj.py()) {
                err
            } else {
                PyTypeError::new_err(format!(
                    "a bytes-like object is required, not '{}'",
                    type_name(obj)
                ))
            }
        })?;
        if !buffer.is_c_contiguous() {
            return Err(PyBufferError::new_err(
                "the input buffer is not C-contiguous; pass a contiguous copy",
            ));
        }
        Ok(ByteInput::Buffer(buffer))
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            ByteInput::Bytes(bytes) => bytes.as_bytes().len(),
            ByteInput::Buffer(buffer) => buffer.len_bytes(),
        }
    }

    fn ptr(&self) -> *mut u8 {
        match self {
            ByteInput::Bytes(bytes) => bytes.as_bytes().as_ptr() as *mut u8,
            ByteInput::Buffer(buffer) => buffer.buf_ptr(),
        }
    }

    /// Whether the input's bytes lie anywhere in `start..start + len` (an object fed to itself).
    pub(crate) fn overlaps(&self, start: *const u8, len: usize) -> bool {
        overlaps(self.bytes(), start, len)
    }

    pub(crate) fn is_readonly(&self) -> bool {
        match self {
            ByteInput::Bytes(_) => true,
            ByteInput::Buffer(buffer) => buffer.readonly(),
        }
    }

    /// The buffer's memory as a region (for a copy made with the GIL released).
    pub(crate) fn region(&self) -> crate::export::Region {
        crate::export::Region {
            ptr: self.ptr(),
            len: self.len(),
        }
    }

    /// Copies `src` to the start of the buffer.
    ///
    /// # Safety
    ///
    /// The buffer is writable (`!is_readonly()`), `src.len() <= len()`, and `src` does not
    /// overlap it.
    pub(crate) unsafe fn write(&self, src: &[u8]) {
        debug_assert!(src.len() <= self.len() && !self.is_readonly());
        // SAFETY: the caller's contract.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.ptr(), src.len()) }
    }

    /// The input's bytes.
    ///
    /// The caller must not let other Python code run (that could resize or free the exporter)
    /// or write to the exporter's memory while the slice lives; releasing the GIL around a copy
    /// from it relies on the caller not mutating its own buffer concurrently, as `hashlib` and
    /// `zlib` do.
    pub(crate) fn bytes(&self) -> &[u8] {
        let buffer = match self {
            ByteInput::Bytes(bytes) => return bytes.as_bytes(),
            ByteInput::Buffer(buffer) => buffer,
        };
        let len = buffer.len_bytes();
        if len == 0 {
            return &[];
        }
        // SAFETY: the buffer is C-contiguous and holds `len` readable bytes, kept alive and
        // unmoved by the export this value holds until it drops.
        unsafe { std::slice::from_raw_parts(buffer.buf_ptr() as *const u8, len) }
    }
}

/// Whether `bytes` lies anywhere in `start..start + len`.
pub(crate) fn overlaps(bytes: &[u8], start: *const u8, len: usize) -> bool {
    let a = bytes.as_ptr() as usize;
    let b = start as usize;
    a < b.saturating_add(len) && b < a.saturating_add(bytes.len())
}
