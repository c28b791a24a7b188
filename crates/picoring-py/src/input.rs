//! Bytes-like arguments, read in place through the buffer protocol.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyBufferError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// One byte value, converted as `bytearray` converts it: through `__index__` (`TypeError`
/// otherwise), and `ValueError` for any int outside `range(0, 256)`, however large.
pub(crate) fn byte_value(value: &Bound<'_, PyAny>) -> PyResult<u8> {
    let out_of_range = || PyValueError::new_err("byte must be in range(0, 256)");
    match value.extract::<isize>() {
        Ok(n) => u8::try_from(n).map_err(|_| out_of_range()),
        Err(err) if err.is_instance_of::<PyOverflowError>(value.py()) => Err(out_of_range()),
        Err(err) => Err(err),
    }
}

/// The bytes of any C-contiguous buffer (`bytes`, `bytearray`, `memoryview`, `array.array`,
/// numpy arrays of any dtype), borrowed without a copy for as long as this value lives.
pub(crate) enum ByteInput<'py> {
    /// `bytes` is immutable: read directly, skipping the buffer protocol's bookkeeping (a heap
    /// allocation per call), which is most of the cost of a small push.
    Bytes(Bound<'py, PyBytes>),
    /// Anything else goes through the buffer protocol, which also pins a `bytearray` against
    /// resizing while we read it.
    Buffer(PyUntypedBuffer),
}

impl<'py> ByteInput<'py> {
    /// Requests a buffer from `obj`; non-buffers are a `TypeError`, non-contiguous buffers a
    /// `BufferError` (copying them silently would hide a slow path).
    pub(crate) fn new(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(ByteInput::Bytes(bytes.clone()));
        }
        let buffer = PyUntypedBuffer::get(obj).map_err(|err| {
            if err.is_instance_of::<PyBufferError>(obj.py()) {
                err
            } else {
                PyTypeError::new_err(format!(
                    "a bytes-like object is required, not '{}'",
                    obj.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
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
            ByteInput::Buffer(buffer) => buffer.buf_ptr() as *mut u8,
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
