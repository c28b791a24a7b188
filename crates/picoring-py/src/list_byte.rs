//! `PicoListByte`: a `bytearray` that grows in place and never moves, so views stay valid.

use std::ffi::c_int;

use picoring::PicoList;
use pyo3::exceptions::{PyBufferError, PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PySlice};

use crate::export::{self, Region};
use crate::guard::{guarded_pyclass, to_py_err, Guarded};
use crate::input::ByteInput;
use crate::list_items::{self, index_iterator, py_bool, ItemAt};

type List = PicoList<u8>;

use crate::input::byte_value as byte;

/// Resolves a possibly negative index against `len`.
pub(crate) fn position(index: isize, len: usize) -> Option<usize> {
    let i = if index < 0 {
        len.checked_sub(index.unsigned_abs())?
    } else {
        index as usize
    };
    (i < len).then_some(i)
}

/// A slice's start, stop and step as plain numbers: their `__index__` (arbitrary Python code)
/// runs here, before any lock is taken (code that used this list there would wait for the lock
/// forever); [`Slice::positions`] then resolves them against a length without calling Python.
#[derive(Clone, Copy)]
pub(crate) struct Slice {
    start: isize,
    stop: isize,
    step: isize,
}

impl Slice {
    pub(crate) fn new(slice: &Bound<'_, PySlice>) -> PyResult<Self> {
        let (mut start, mut stop, mut step) = (0, 0, 0);
        // SAFETY: `slice` is a slice object and the out-pointers are valid; on failure an
        // exception is set (a bad `__index__`, a zero step).
        let rc = unsafe { ffi::PySlice_Unpack(slice.as_ptr(), &mut start, &mut stop, &mut step) };
        if rc < 0 {
            return Err(PyErr::fetch(slice.py()));
        }
        Ok(Slice { start, stop, step })
    }

    /// The first position, the step and how many positions the slice selects in a sequence of
    /// `len` items (`slice.indices`).
    pub(crate) fn indices(self, len: usize) -> (usize, isize, usize) {
        let (mut start, mut stop) = (self.start, self.stop);
        // SAFETY: pure arithmetic on the numbers passed; `len` is a length of memory we hold,
        // so it fits an isize, and the step is not zero (checked by `PySlice_Unpack`).
        let n =
            unsafe { ffi::PySlice_AdjustIndices(len as isize, &mut start, &mut stop, self.step) };
        // Adjusted, `start` lies in 0..=len (0..len when anything is selected).
        (start.max(0) as usize, self.step, n.max(0) as usize)
    }

    /// The positions the slice selects in a sequence of `len` items, in order.
    pub(crate) fn positions(self, len: usize) -> impl Iterator<Item = usize> {
        let (start, step, n) = self.indices(len);
        // Every position is in 0..len.
        (0..n).map(move |k| (start as isize + k as isize * step) as usize)
    }
}

/// An index as `bytearray` and `array.array` take it: through `__index__`, and `IndexError`
/// (not `OverflowError`) when it does not fit a `Py_ssize_t`.
pub(crate) fn index_arg(index: &Bound<'_, PyAny>) -> PyResult<isize> {
    // SAFETY: `index` is a valid object; PyExc_IndexError is a static exception type.
    let i = unsafe { ffi::PyNumber_AsSsize_t(index.as_ptr(), ffi::PyExc_IndexError) };
    if i == -1 {
        if let Some(err) = PyErr::take(index.py()) {
            return Err(err);
        }
    }
    Ok(i)
}

/// Whether `needle` occurs in `haystack` (the empty needle does).
fn find(haystack: &[u8], needle: &[u8]) -> bool {
    match needle {
        [] => true,
        [first, rest @ ..] => haystack
            .windows(needle.len())
            .any(|w| w[0] == *first && &w[1..] == rest),
    }
}

fn out_of_range() -> PyErr {
    PyIndexError::new_err("PicoListByte index out of range")
}

impl PicoListByte {
    fn len_of(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |list, _| Ok(list.len()))
    }
}

guarded_pyclass!(
    /// A growable byte list over reserved address space: appending never moves existing bytes,
    /// so it keeps growing while a memoryview or numpy array looks at it (`bytearray` refuses).
    PicoListByte,
    List,
    [, sequence],
    {
    /// `PicoListByte(data=b"", max_capacity=None)`: starts with a copy of `data` (bytes-like or
    /// an iterable of ints); `max_capacity` bounds the reservation (default: the smaller of
    /// 64 GiB and RAM+swap, less once lists hold 32 TiB of address space; reserved, not used,
    /// at the first append).
    #[new]
    #[pyo3(signature = (data=None, max_capacity=None))]
    fn new(
        py: Python<'_>,
        data: Option<&Bound<'_, PyAny>>,
        max_capacity: Option<isize>,
    ) -> PyResult<Self> {
        let list = match max_capacity {
            None => List::new(),
            Some(n) => List::with_max_capacity(crate::guard::count(n, "max_capacity")?),
        }
        .map_err(to_py_err)?;
        let this = PicoListByte {
            inner: Guarded::new("PicoListByte", list),
        };
        if let Some(data) = data {
            this.extend(py, data)?;
        }
        Ok(this)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.len_of(py)
    }

    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.len_of(py)? > 0)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        const SHOWN: usize = 64;
        match self.inner.with(py, |list, _| {
            Ok((list.len(), list[..list.len().min(SHOWN)].to_vec()))
        }) {
            Ok((len, head)) => {
                let shown = PyBytes::new(py, &head)
                    .repr()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                let more = if len > SHOWN { "..." } else { "" };
                format!("PicoListByte({shown}{more}, len={len})")
            }
            Err(_) if self.inner.is_closed(py) => "<picoring.PicoListByte closed>".into(),
            Err(_) => "<picoring.PicoListByte from another process>".into(),
        }
    }

    /// Number of bytes (upstream 0.6 spelling of `len(lst)`).
    fn len(&self, py: Python<'_>) -> PyResult<usize> {
        self.len_of(py)
    }

    /// Bytes that fit in the memory committed so far.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |list, _| Ok(list.capacity()))
    }

    /// The most bytes the reservation can ever hold.
    fn max_capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |list, _| Ok(list.max_capacity()))
    }

    /// Appends one byte (`MemoryError` when the reservation is full).
    fn append(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = byte(value)?;
        self.inner.with(py, |list, _| {
            list_items::check_growth(list, &self.inner.exports, 1)?;
            list.push(value).map_err(to_py_err)
        })
    }

    /// Upstream 0.6 name of `append`.
    fn push(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.append(py, value)
    }

    /// Appends every byte of a bytes-like object (copied in bulk, without a temporary) or of
    /// an iterable of ints; all or nothing.
    fn extend(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        match ByteInput::new(data) {
            Ok(input) => list_items::append(&self.inner, py, input.bytes()),
            Err(err) if err.is_instance_of::<PyBufferError>(py) => Err(err),
            Err(_) if data.is_instance_of::<pyo3::types::PyString>() => Err(PyTypeError::new_err(
                "expected an iterable of integers or a bytes-like object, got 'str'",
            )),
            Err(_) => {
                let mut bytes = Vec::new();
                for item in data.try_iter()? {
                    bytes.push(byte(&item?)?);
                }
                list_items::append(&self.inner, py, &bytes)
            }
        }
    }

    /// Removes and returns the byte at `index` (the last by default); `IndexError` when empty.
    /// Only the last byte can be removed without moving the others: other indices raise
    /// `ValueError`.
    #[pyo3(signature = (index=-1), text_signature = "($self, index=-1)")]
    fn pop(&self, py: Python<'_>, index: isize) -> PyResult<u8> {
        self.inner.with(py, |list, _| {
            let len = list.len();
            if len == 0 {
                return Err(PyIndexError::new_err("pop from empty PicoListByte"));
            }
            let i = position(index, len).ok_or_else(out_of_range)?;
            if i != len - 1 {
                return Err(PyValueError::new_err(
                    "PicoListByte.pop only removes the last byte (its bytes never move)",
                ));
            }
            self.inner.exports.check_no_readers()?;
            list.pop().ok_or_else(out_of_range)
        })
    }

    /// The byte at `index`, or `None` out of range (upstream 0.6 behaviour; `lst[i]` raises).
    fn get(&self, py: Python<'_>, index: isize) -> PyResult<Option<u8>> {
        self.inner.with(py, |list, _| {
            Ok(position(index, list.len()).map(|i| list[i]))
        })
    }

    /// Sets the byte at `index`; `False` out of range (upstream 0.6 behaviour).
    fn set(&self, py: Python<'_>, index: isize, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let value = byte(value)?;
        self.inner.with(py, |list, _| {
            Ok(match position(index, list.len()) {
                Some(i) => {
                    list.as_mut_slice()[i] = value;
                    true
                }
                None => false,
            })
        })
    }

    fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = index.cast::<PySlice>() {
            let slice = Slice::new(slice)?;
            let picked = crate::export::new_bytes(
                &self.inner,
                py,
                |list| Ok(slice.indices(list.len()).2),
                |list, dest| {
                    let (start, step, n) = slice.indices(list.len());
                    if n != dest.len {
                        return Ok(false);
                    }
                    if step == 1 {
                        // The common case, copied once.
                        // SAFETY: `dest` is fresh memory of `n` bytes (`new_bytes`' contract).
                        unsafe { export::copy_out(py, &list[start..start + n], dest) };
                    } else {
                        for (k, i) in slice.positions(list.len()).enumerate() {
                            // SAFETY: `k < n`, and `dest` holds `n` writable bytes.
                            unsafe { dest.ptr.add(k).write(list[i]) };
                        }
                    }
                    Ok(true)
                },
            )?;
            return Ok(picked.into_any().unbind());
        }
        let index = index_arg(index)?;
        let byte = self.inner.with(py, |list, _| {
            let i = position(index, list.len()).ok_or_else(out_of_range)?;
            Ok(list[i])
        })?;
        Ok(byte.into_pyobject(py)?.into_any().unbind())
    }

    /// `x in lst`, as `bytearray`: an int is looked for as a byte (`ValueError` outside
    /// `range(256)`), a bytes-like object as a run of bytes.
    fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        // SAFETY: `value` is a valid object; a NULL exception type clamps huge ints instead
        // of raising.
        let ival = unsafe { ffi::PyNumber_AsSsize_t(value.as_ptr(), std::ptr::null_mut()) };
        if ival == -1 {
            if let Some(err) = PyErr::take(py) {
                if !err.is_instance_of::<PyTypeError>(py) {
                    return Err(err);
                }
                let needle = ByteInput::new(value)?;
                let needle = needle.bytes();
                return self
                    .inner
                    .with(py, |list, _| Ok(find(list.as_slice(), needle)));
            }
        }
        let byte = u8::try_from(ival)
            .map_err(|_| PyValueError::new_err("byte must be in range(0, 256)"))?;
        self.inner
            .with(py, |list, _| Ok(list.as_slice().contains(&byte)))
    }

    /// `lst[i] = v`, and `lst[a:b:c] = data` with as many bytes as the slice selects (a
    /// different length would move the bytes after it: `ValueError`).
    fn __setitem__(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if let Ok(slice) = index.cast::<PySlice>() {
            let slice = Slice::new(slice)?;
            let data = ByteInput::new(value)?.bytes().to_vec();
            return self.inner.with(py, |list, _| {
                let positions: Vec<usize> = slice.positions(list.len()).collect();
                if data.len() != positions.len() {
                    return Err(PyValueError::new_err(format!(
                        "PicoListByte slice assignment must keep the length: the slice has {} \
                         bytes, the value {}",
                        positions.len(),
                        data.len()
                    )));
                }
                let items = list.as_mut_slice();
                for (i, &b) in positions.into_iter().zip(&data) {
                    items[i] = b;
                }
                Ok(())
            });
        }
        let index = index_arg(index)?;
        let value = byte(value)?;
        self.inner.with(py, |list, _| {
            let i = position(index, list.len()).ok_or_else(out_of_range)?;
            list.as_mut_slice()[i] = value;
            Ok(())
        })
    }

    fn __iter__(slf: Bound<'_, Self>) -> PicoListByteIterator {
        PicoListByteIterator::new(slf)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(other) = ByteInput::new(other) else {
            return Ok(py.NotImplemented());
        };
        let eq = self
            .inner
            .with(py, |list, _| Ok(list.as_slice() == other.bytes()))?;
        Ok(py_bool(py, eq))
    }

    /// Removes every byte and gives the memory back; refused while a view is alive.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        list_items::clear(&self.inner, py)
    }

    /// A writable export of every byte, like `bytearray`'s; counted until released.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let region = this.inner.with(slf.py(), |list, _| {
            this.inner.exports.add(false);
            Ok(Region {
                ptr: list.as_mut_ptr(),
                len: list.len(),
            })
        })?;
        // Filled outside the lock: a failure creates an exception object.
        // SAFETY: the bytes stay in place while the count taken above lives (given back in
        // `__releasebuffer__`, or below on failure): appends never move them on the native
        // backends (and are refused on the moving heap fallback), and pop/clear/close check it.
        unsafe { export::fill(slf.as_any(), view, flags, region, false) }.inspect_err(|_| {
            this.inner.exports.remove(false);
        })
    }
    }
);

impl ItemAt for PicoListByte {
    type Item<'py> = u8;

    fn item_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Option<u8>> {
        self.inner
            .with(py, |list, _| Ok(list.as_slice().get(i).copied()))
    }
}

index_iterator!(
    /// Iterates over a `PicoListByte` by index, so appends during iteration are seen, as with
    /// `bytearray`.
    PicoListByteIterator over PicoListByte
);
