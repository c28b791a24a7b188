//! `PicoListByte`: a `bytearray` that grows in place and never moves, so views stay valid.

use std::ffi::c_int;

use picoring::PicoList;
use pyo3::exceptions::{PyBufferError, PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::slice::PySliceIndices;
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

/// The positions a slice selects in a sequence of `len` items, in order.
pub(crate) fn slice_positions(
    slice: &Bound<'_, PySlice>,
    len: usize,
) -> PyResult<impl Iterator<Item = usize>> {
    let PySliceIndices {
        start,
        step,
        slicelength,
        ..
    } = slice.indices(len as isize)?;
    // `indices` clamps to the sequence, so every position is in 0..len.
    Ok((0..slicelength).map(move |k| (start + k as isize * step) as usize))
}

/// The same slice with `start`, `stop` and `step` converted to plain ints. Converting runs
/// their `__index__`, which is arbitrary Python code: it must run before we take the lock
/// (code that used this list there would wait for the lock forever).
pub(crate) fn plain_slice<'py>(slice: &Bound<'py, PySlice>) -> PyResult<Bound<'py, PySlice>> {
    let py = slice.py();
    let plain = |name: &str| -> PyResult<Bound<'py, PyAny>> {
        let bound = slice.getattr(name)?;
        if bound.is_none() {
            return Ok(bound);
        }
        // SAFETY: `bound` is a valid object; PyNumber_Index returns a new reference or NULL
        // with an exception set, which `from_owned_ptr_or_err` turns into a `PyErr`.
        unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyNumber_Index(bound.as_ptr())) }
    };
    let (start, stop, step) = (plain("start")?, plain("stop")?, plain("step")?);
    Ok(py
        .get_type::<PySlice>()
        .call1((start, stop, step))?
        .cast_into::<PySlice>()?)
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
    /// an iterable of ints); `max_capacity` bounds the reservation (default: 64 GiB of address
    /// space, which costs no memory until used).
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
            let slice = plain_slice(slice)?;
            let slice = &slice;
            return self.inner.with(py, |list, _| {
                let len = list.len() as isize;
                let indices = slice.indices(len)?;
                let picked = if indices.step == 1 {
                    // The common case, copied once: `indices` clamps start and stop to 0..=len.
                    let (start, stop) = (indices.start as usize, indices.stop as usize);
                    PyBytes::new(py, &list[start..stop.max(start)])
                } else {
                    let bytes: Vec<u8> = slice_positions(slice, list.len())?
                        .map(|i| list[i])
                        .collect();
                    PyBytes::new(py, &bytes)
                };
                Ok(picked.into_any().unbind())
            });
        }
        let index: isize = index.extract()?;
        self.inner.with(py, |list, _| {
            let i = position(index, list.len()).ok_or_else(out_of_range)?;
            Ok(list[i].into_pyobject(py)?.into_any().unbind())
        })
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
            let slice = plain_slice(slice)?;
            let slice = &slice;
            let data = ByteInput::new(value)?.bytes().to_vec();
            return self.inner.with(py, |list, _| {
                let positions: Vec<usize> = slice_positions(slice, list.len())?.collect();
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
        let index: isize = index.extract()?;
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
        this.inner.with(slf.py(), |list, _| {
            let region = Region {
                ptr: list.as_mut_ptr(),
                len: list.len(),
            };
            // SAFETY: the bytes stay in place while the count taken below lives: appends never
            // move them on the native backends (and are refused on the moving heap fallback),
            // and pop/clear/close check the count.
            unsafe { export::fill(slf.as_any(), view, flags, region, false)? };
            this.inner.exports.add(false);
            Ok(())
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
