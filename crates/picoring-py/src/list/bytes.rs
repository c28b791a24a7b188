//! `PicoListByte`: a `bytearray` that grows in place and never moves, so views stay valid.

use std::ffi::c_int;

use picoring::PicoList;
use pyo3::exceptions::{PyBufferError, PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyBytes, PySlice, PyString};
use pyo3::PyClass;

use crate::export;
use crate::guard::{count, guarded_class, to_py_err, Guarded};
use crate::input::{byte_value as byte, index_arg, type_name, ByteInput};
use crate::list::{self, list_methods, position, py_bool, ItemAt, Slice};

#[path = "bytes_make.rs"]
mod make;
#[path = "bytes_methods.rs"]
mod methods;

/// Whether `needle` occurs in `haystack` (the empty needle does).
fn find(haystack: &[u8], needle: &[u8]) -> bool {
    match needle {
        [] => true,
        [first, rest @ ..] => haystack
            .windows(needle.len())
            .any(|w| w[0] == *first && &w[1..] == rest),
    }
}

/// The bytes `+` and `+=` take: any bytes-like object, else `TypeError` as `bytearray`'s.
fn concat_input<'py>(other: &Bound<'py, PyAny>) -> PyResult<ByteInput<'py>> {
    ByteInput::new(other).map_err(|_| {
        PyTypeError::new_err(format!("can't concat {} to PicoListByte", type_name(other)))
    })
}

fn out_of_range() -> PyErr {
    list::out_of_range("PicoListByte")
}

guarded_class! {
    /// A growable byte list over reserved address space: appending never moves existing bytes,
    /// so it keeps growing while a memoryview or numpy array looks at it (`bytearray` refuses).
    ///
    /// Not a `#[pyclass(sequence)]`: CPython adds the length to a negative index before the
    /// sequence slot sees it, so `PySequence_GetItem(lst, -len - 1)` would read the last byte
    /// instead of raising `IndexError` as `bytearray`'s does; `len()` and `reversed()` work
    /// through `__len__` and `__reversed__`.
    #[pyclass(name = "PicoListByte", subclass, weakref)]
    struct ByteList(PicoList<u8>), len: |list| list.len(),
        held: |list| list.capacity()
}

list_methods!(ByteList, ByteListIter as "PicoListByteIterator");

#[pymethods]
impl ByteList {
    /// `PicoListByte(source=b"", encoding=None, errors=None, *, max_capacity=None)`, as
    /// `bytearray(...)`: a copy of a bytes-like `source` or of an iterable of ints, `source`
    /// zero bytes for an int, or a str encoded with `encoding`. `max_capacity` bounds the
    /// reservation (default: the smaller of 64 GiB and RAM+swap, less once lists hold 32 TiB
    /// of address space; reserved, not used, at the first append).
    #[new]
    #[pyo3(signature = (source=None, encoding=None, errors=None, *, max_capacity=None))]
    fn new(
        py: Python<'_>,
        source: Option<&Bound<'_, PyAny>>,
        encoding: Option<&Bound<'_, PyString>>,
        errors: Option<&Bound<'_, PyString>>,
        max_capacity: Option<isize>,
    ) -> PyResult<Self> {
        let mut list = match max_capacity {
            None => PicoList::new(),
            Some(n) => PicoList::with_max_capacity(count(n, "max_capacity")?),
        }
        .map_err(to_py_err)?;
        // Filled before it is wrapped: nothing else can see it yet, so no lock is taken.
        let text = source.and_then(|s| s.cast::<PyString>().ok());
        match (source, text) {
            (None, _) if encoding.is_some() || errors.is_some() => Err(PyTypeError::new_err(
                "encoding or errors without sequence argument",
            )),
            (None, _) => Ok(()),
            (Some(_), Some(text)) => {
                let Some(encoding) = encoding else {
                    return Err(PyTypeError::new_err("string argument without an encoding"));
                };
                let encoded = match errors {
                    Some(errors) => text.call_method1(intern!(py, "encode"), (encoding, errors))?,
                    None => text.call_method1(intern!(py, "encode"), (encoding,))?,
                };
                with_bytes(&encoded, |bytes| list::fill(py, &mut list, bytes))
            }
            (Some(_), None) if encoding.is_some() => {
                Err(PyTypeError::new_err("encoding without a string argument"))
            }
            (Some(_), None) if errors.is_some() => {
                Err(PyTypeError::new_err("errors without a string argument"))
            }
            (Some(source), None) => fill_from(py, &mut list, source),
        }?;
        Ok(ByteList {
            inner: Guarded::new(<Self as PyClass>::NAME, list),
        })
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

    /// Bytes that fit in the memory committed so far.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |list, _| Ok(list.capacity()))
    }

    /// The most bytes the reservation can ever hold.
    fn max_capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |list, _| Ok(list.max_capacity()))
    }

    /// Upstream 0.6 name of `append`.
    fn push(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.append(py, value)
    }

    /// Appends every byte of a bytes-like object (copied in bulk, without a temporary) or of
    /// an iterable of ints; all or nothing.
    fn extend(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        with_bytes(data, |bytes| list::append(&self.inner, py, bytes))
    }

    /// Removes and returns the byte at `index` (the last by default); `IndexError` when empty.
    /// The bytes after it move back a place within the reservation (refused, `BufferError`,
    /// while a view is alive, as `bytearray` refuses it).
    #[pyo3(signature = (index=-1), text_signature = "($self, index=-1)")]
    fn pop(&self, py: Python<'_>, index: isize) -> PyResult<u8> {
        self.inner.with(py, |list, _| {
            let len = list.len();
            if len == 0 {
                return Err(PyIndexError::new_err("pop from empty PicoListByte"));
            }
            let i = position(index, len).ok_or_else(out_of_range)?;
            let value = list[i];
            list::remove_at(&self.inner, list, i)?;
            Ok(value)
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

    /// `==`, `<`, ... against any bytes-like object, byte by byte as `bytearray` compares;
    /// anything else is `NotImplemented` (so `lst == "abc"` is false, `lst < "abc"` a
    /// `TypeError`).
    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Ok(other) = ByteInput::new(other) else {
            return Ok(py.NotImplemented());
        };
        let order = self
            .inner
            .with(py, |list, _| Ok(list.as_slice().cmp(other.bytes())))?;
        Ok(py_bool(py, op.matches(order)))
    }

    /// A writable export of every byte, like `bytearray`'s; counted until released.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let exports = &slf.get().inner.exports;
        let region = list::lend(&slf.get().inner, slf.py())?;
        // SAFETY: the bytes stay in place while the count `lend` took lives.
        unsafe { export::fill_counted(slf.as_any(), exports, view, flags, region, false) }
    }
}

// A direct method: one call per byte, where PyO3's call machinery cost more than the append
// (see `direct`).
crate::direct::direct_method!(
    /// Appends one byte (`MemoryError` when the reservation is full).
    ByteList, fn append_method = "append" "($self, value, /)",
    one_arg |slf, value| {
        slf.get().append(slf.py(), value)?;
        Ok(slf.py().None().into_bound(slf.py()))
    }
);

impl ByteList {
    /// Appends one byte (`MemoryError` when the reservation is full).
    fn append(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = byte(value)?;
        self.inner.with(py, |list, _| {
            list::check_growth(list, &self.inner.exports, 1)?;
            list.push(value).map_err(to_py_err)
        })
    }
}

#[pymethods]
impl ByteList {
    /// `reversed(lst)`.
    fn __reversed__(slf: Bound<'_, Self>) -> PyResult<ByteListReverse> {
        let len = slf.get().inner.with(slf.py(), |list, _| Ok(list.len()))?;
        Ok(ByteListReverse {
            state: std::sync::Mutex::new(Some((slf.unbind(), len))),
        })
    }
}

/// Runs `f` on the bytes `extend` takes from `data`: a bytes-like object's own (borrowed, not
/// copied), or those of an iterable of ints, collected first.
fn with_bytes<T>(data: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> PyResult<T>) -> PyResult<T> {
    let py = data.py();
    match ByteInput::new(data) {
        Ok(input) => f(input.bytes()),
        Err(err) if err.is_instance_of::<PyBufferError>(py) => Err(err),
        Err(_) if data.is_instance_of::<PyString>() => Err(PyTypeError::new_err(
            "expected an iterable of integers or a bytes-like object, got 'str'",
        )),
        Err(_) => {
            let mut bytes = Vec::new();
            for item in data.try_iter()? {
                bytes.push(byte(&item?)?);
            }
            f(&bytes)
        }
    }
}

/// The constructor's non-text `source`, appended to the list being built: an int is a count of
/// zero bytes (as `bytearray`, `ValueError` when negative, `OverflowError` past
/// `sys.maxsize`), anything else is what `extend` takes.
fn fill_from(py: Python<'_>, list: &mut PicoList<u8>, source: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: `source` is a valid object; PyIndex_Check only reads its type.
    if unsafe { ffi::PyIndex_Check(source.as_ptr()) } != 0 {
        // SAFETY: as above; PyExc_OverflowError is a static exception type.
        let n = unsafe { ffi::PyNumber_AsSsize_t(source.as_ptr(), ffi::PyExc_OverflowError) };
        match PyErr::take(py) {
            Some(err) if n == -1 && !err.is_instance_of::<PyTypeError>(py) => return Err(err),
            Some(_) => {} // not an int after all: an iterable, or a TypeError from extend
            None if n < 0 => return Err(PyValueError::new_err("negative count")),
            None => {
                let n = n as usize;
                const ZEROS: [u8; 4096] = [0; 4096];
                list.reserve(n).map_err(to_py_err)?;
                let mut left = n;
                while left > 0 {
                    let k = left.min(ZEROS.len());
                    list.extend_from_slice(&ZEROS[..k]).map_err(to_py_err)?;
                    left -= k;
                }
                return Ok(());
            }
        }
    }
    with_bytes(source, |bytes| list::fill(py, list, bytes))
}

impl ByteList {
    /// A new `PicoListByte` (never a subclass) holding a copy of `bytes`: the list is filled,
    /// then wrapped, without the constructor's argument parsing or a lock.
    pub(crate) fn new_with<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, Self>> {
        let mut list = PicoList::new().map_err(to_py_err)?;
        list::fill(py, &mut list, bytes)?;
        Self::wrap(py, list)
    }

    /// A new `PicoListByte` (never a subclass) holding a copy of this list's bytes, copied
    /// from list to list under this list's lock.
    pub(crate) fn duplicate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Self>> {
        Self::wrap(py, list::copy_bytes(&self.inner, py)?)
    }

    /// `lst[i] = v`, and `lst[a:b:c] = data` (any bytes-like object), as `bytearray`.
    fn assign(&self, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let many = || Ok(ByteInput::new(value)?.bytes().to_vec());
        list::set_item(&self.inner, index, many, || byte(value).map(|b| Ok([b])))
    }
}

/// `reversed(lst)`: walks the list by index from its last byte down, as `reversed()` walks a
/// `bytearray` (a byte removed meanwhile ends the walk). It lets go of the list once exhausted,
/// so the list can be freed while the iterator lives.
#[pyclass(
    frozen,
    module = "picoring._picoring",
    name = "PicoListByteReverseIterator"
)]
pub(crate) struct ByteListReverse {
    /// The list and how many bytes are left to yield; `None` once exhausted.
    state: std::sync::Mutex<Option<(Py<ByteList>, usize)>>,
}

#[pymethods]
impl ByteListReverse {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<u8>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let step = match state.as_mut() {
            Some((list, left)) if *left > 0 => {
                *left -= 1;
                Some((list.clone_ref(py), *left))
            }
            _ => None,
        };
        let Some((list, i)) = step else {
            // Dropped with the lock released: freeing the list runs Python code (a subclass's
            // `__del__`) that may call `next()` on this iterator.
            let done = state.take();
            drop(state);
            drop(done);
            return Ok(None);
        };
        drop(state);
        let byte = list.get().item_at(py, i)?;
        if byte.is_none() {
            let done = self.state.lock().unwrap_or_else(|e| e.into_inner()).take();
            drop(done);
        }
        Ok(byte)
    }
}

impl ItemAt for ByteList {
    type Item<'py> = u8;

    fn item_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Option<u8>> {
        self.inner
            .with(py, |list, _| Ok(list.as_slice().get(i).copied()))
    }
}

#[pymethods]
impl ByteList {
    /// Inserts one byte before `index` (clamped, as `bytearray.insert`); the bytes after it
    /// move up within the reservation (refused while a view is alive).
    fn insert(&self, py: Python<'_>, index: isize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = byte(value)?;
        list::insert(&self.inner, py, index, &[value])
    }

    /// Removes the first byte equal to `value` (`ValueError` if there is none).
    fn remove(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = byte(value)?;
        self.inner.with(py, |list, _| {
            let i = list
                .iter()
                .position(|&b| b == value)
                .ok_or_else(|| PyValueError::new_err("value not found in PicoListByte"))?;
            list::remove_at(&self.inner, list, i)
        })
    }

    /// A new `PicoListByte` holding these bytes, then `other`'s (any bytes-like object).
    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<ByteList>> {
        let other = concat_input(other)?;
        let out = self.duplicate(py)?;
        list::append(&out.get().inner, py, other.bytes())?;
        Ok(out.unbind())
    }

    /// `lst += data`: appends a bytes-like object.
    fn __iadd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = concat_input(other)?;
        list::append(&self.inner, py, other.bytes())
    }

    /// A new `PicoListByte` holding the bytes repeated `n` times (`n <= 0`: empty).
    fn __mul__(&self, py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<Py<ByteList>> {
        let n = list::repeat_count(n)?;
        let out = self.duplicate(py)?;
        list::repeat(&out.get().inner, py, n)?;
        Ok(out.unbind())
    }

    fn __rmul__(&self, py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<Py<ByteList>> {
        self.__mul__(py, n)
    }

    /// Pickles as `PicoListByte(bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let py = slf.py();
        let bytes = list::copy_bytes(&slf.get().inner, py)?;
        let data = PyBytes::new(py, &bytes);
        (slf.get_type(), (data,)).into_pyobject(py)
    }
}

impl ByteList {
    /// A new `PicoListByte` (never a subclass) over `list`.
    fn wrap(py: Python<'_>, list: PicoList<u8>) -> PyResult<Bound<'_, ByteList>> {
        Bound::new(
            py,
            ByteList {
                inner: Guarded::new(<Self as PyClass>::NAME, list),
            },
        )
    }
}
